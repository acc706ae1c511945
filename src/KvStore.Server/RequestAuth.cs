namespace KvStore.Server;

/// <summary>
/// The auth token of the request being served (etcd reads it from the gRPC context: metadata "token", or
/// "authorization" from the gateway). The RPC edge sets it for the duration of one call; the member resolves it
/// when a request needs a user (proposals, reads, watch creation, admin operations).
/// </summary>
public static class RequestAuth
{
    private static readonly AsyncLocal<string?> CurrentToken = new();
    private static readonly AsyncLocal<string?> CurrentCommonName = new();

    /// <summary>The token sent with the current call, or null when it carries none.</summary>
    public static string? Token
    {
        get => CurrentToken.Value;
        set => CurrentToken.Value = value;
    }

    /// <summary>
    /// The CN of the verified client certificate of the current gRPC call (etcd's AuthInfoFromTLS), or null: set
    /// only with --client-cert-auth, and never for a JSON gateway request (etcd's gateway proxy's CN is ignored).
    /// </summary>
    public static string? CommonName
    {
        get => CurrentCommonName.Value;
        set => CurrentCommonName.Value = value;
    }
}
