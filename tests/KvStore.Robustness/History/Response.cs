using System.Text.Json.Serialization;

namespace KvStore.Robustness.History;

/// <summary>A key-value pair as etcd returns it.</summary>
public sealed record KeyValue(string Key, string Value, long CreateRevision, long ModRevision, long Version, long Lease = 0);

/// <summary>An answer; Revision and Member come from its response header.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "op")]
[JsonDerivedType(typeof(RangeResponse), "range")]
[JsonDerivedType(typeof(PutResponse), "put")]
[JsonDerivedType(typeof(DeleteResponse), "delete")]
[JsonDerivedType(typeof(TxnResponse), "txn")]
[JsonDerivedType(typeof(CompactResponse), "compact")]
[JsonDerivedType(typeof(LeaseGrantResponse), "lease-grant")]
[JsonDerivedType(typeof(LeaseRevokeResponse), "lease-revoke")]
[JsonDerivedType(typeof(LeaseKeepAliveResponse), "lease-keepalive")]
public abstract record Response
{
    public long Revision { get; init; }
    public ulong Member { get; init; }
}

public sealed record RangeResponse(IReadOnlyList<KeyValue> Kvs, long Count, bool More = false) : Response;

public sealed record PutResponse(KeyValue? PrevKv) : Response;

public sealed record DeleteResponse(long Deleted, IReadOnlyList<KeyValue> PrevKvs) : Response;

/// <summary>Responses are those of the branch taken, in its order (the header revision of each is the txn's).</summary>
public sealed record TxnResponse(bool Succeeded, IReadOnlyList<Response> Responses) : Response;

public sealed record CompactResponse : Response;

public sealed record LeaseGrantResponse(long Id, long Ttl) : Response;

public sealed record LeaseRevokeResponse : Response;

/// <summary>Ttl 0 or less: the lease was not found (expired or revoked).</summary>
public sealed record LeaseKeepAliveResponse(long Id, long Ttl) : Response;
