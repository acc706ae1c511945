namespace KvStore.Mvcc;

/// <summary>A user's name and the auth revision its token was checked at (etcd's auth.AuthInfo).</summary>
public readonly record struct AuthInfo(string Username, ulong Revision);
