using KvStore.Mvcc;

namespace KvStore.Server;

/// <summary>
/// Who makes a request, as etcd's AuthInfoFromCtx resolves it once per call: a user at an auth revision, nobody
/// (<see cref="Nobody"/>: no token), or the error of a token this member refuses, answered only by verbs that need a user.
/// </summary>
public readonly record struct Caller(AuthInfo? Auth, MvccError Error = MvccError.None)
{
    /// <summary>No token and no certificate user: the member's own proposals (alarms) and calls without credentials.</summary>
    public static Caller Nobody => default;

    /// <summary>The user for a permission check; nobody is revision 0, which etcd reads as "user name is empty".</summary>
    public AuthInfo User => Auth ?? default;

    /// <summary>The credentials this caller was resolved from (a token, or a certificate's CN), to resolve again later.</summary>
    internal (string? Token, string? CommonName) Credentials { get; init; }
}

/// <summary>An etcd error a server verb answers (etcd's verbs return it); the RPC layer maps it once (its ErrorTable).</summary>
public sealed class EtcdServerException : Exception
{
    public EtcdServerException(MvccError error) : base(error.ToString()) => MvccError = error;

    public EtcdServerException(ServerError error) : base(error.ToString()) => ServerError = error;

    public EtcdServerException() { }

    public EtcdServerException(string message) : base(message) { }

    public EtcdServerException(string message, Exception inner) : base(message, inner) { }

    public MvccError MvccError { get; }

    public ServerError ServerError { get; }

    /// <summary>Throws for a failed check; nothing for <see cref="MvccError.None"/>.</summary>
    public static void ThrowIf(MvccError error)
    {
        if (error != MvccError.None) throw new EtcdServerException(error);
    }

    /// <summary>Throws for a failed member operation; nothing for <see cref="ServerError.None"/>.</summary>
    public static void ThrowIf(ServerError error)
    {
        if (error != ServerError.None) throw new EtcdServerException(error);
    }

    /// <summary>A proposal's response, or the exception for its error (the member's own first).</summary>
    public static T Unwrap<T>(ProposeResult result) where T : class
    {
        if (result.Error != ServerError.None) throw new EtcdServerException(result.Error);
        if (result.MvccError != MvccError.None) throw new EtcdServerException(result.MvccError);
        return result.Response as T ?? throw new InvalidOperationException($"a proposal answered {result.Response?.GetType().Name}");
    }
}
