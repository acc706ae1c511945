namespace KvStore.ApiServer.Security;

/// <summary>
/// kube-apiserver's secure serving and authentication flags, as given: files are read when the facade starts
/// (<see cref="ApiServerSecurity.Load"/>). An https listen URL serves TLS with --tls-cert-file/--tls-private-key-file,
/// or with a self-signed pair kept under --cert-dir when neither is given.
/// </summary>
public sealed record ApiServerSecurityOptions
{
    /// <summary>--tls-cert-file: the serving certificate (CA certificates, if any, concatenated after it).</summary>
    public string TlsCertFile { get; init; } = "";

    /// <summary>--tls-private-key-file: the key of --tls-cert-file.</summary>
    public string TlsPrivateKeyFile { get; init; } = "";

    /// <summary>--cert-dir: where the self-signed apiserver.crt/apiserver.key are written (and reused on restart).</summary>
    public string CertDir { get; init; } = "/var/run/kubernetes";

    /// <summary>--client-ca-file: a client certificate signed by one of these CAs authenticates its CN as the user and its O
    /// fields as the groups.</summary>
    public string ClientCaFile { get; init; } = "";

    /// <summary>--token-auth-file: bearer tokens, kube's CSV format (token,user,uid,"group1,group2").</summary>
    public string TokenAuthFile { get; init; } = "";

    /// <summary>--anonymous-auth: requests without credentials are served as system:anonymous (kube's default true).</summary>
    public bool AnonymousAuth { get; init; } = true;

    /// <summary>Whether a client authenticator (certificates or tokens) is configured.</summary>
    public bool AuthenticatesClients => ClientCaFile.Length > 0 || TokenAuthFile.Length > 0;
}
