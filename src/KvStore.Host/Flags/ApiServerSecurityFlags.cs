using KvStore.ApiServer.Security;

namespace KvStore.Host.Flags;

/// <summary>
/// The in-member facade's TLS and authentication flags (kube-apiserver's names): --tls-cert-file,
/// --tls-private-key-file, --cert-dir (default DATA_DIR/fixtures/apiserver, beside etcd's fixtures/client and
/// fixtures/peer), --client-ca-file, --token-auth-file, --anonymous-auth. The certificate flags need an https
/// --apiserver-listen-url.
/// </summary>
internal static class ApiServerSecurityFlags
{
    public static readonly IReadOnlyList<string> Names =
    [
        EtcdFlags.TlsCertFile, EtcdFlags.TlsPrivateKeyFile, EtcdFlags.CertDir, EtcdFlags.ClientCaFile, EtcdFlags.TokenAuthFile,
            EtcdFlags.AnonymousAuth,
    ];

    public static ApiServerSecurityOptions Of(FlagValues flags, string dataDir, Uri listen)
    {
        if (listen.Scheme != Uri.UriSchemeHttps
            && new[] { EtcdFlags.TlsCertFile, EtcdFlags.TlsPrivateKeyFile, EtcdFlags.CertDir,
                EtcdFlags.ClientCaFile }.FirstOrDefault(flags.IsSet) is { } name)
        {
            throw new FlagException($"--{name} needs an https --{EtcdFlags.ApiServerListenUrl} (given {HostSettings.Text(listen)})");
        }
        FlagText.TryParseBool(flags[EtcdFlags.AnonymousAuth], out var anonymous);
        var certDir = flags[EtcdFlags.CertDir];
        return new ApiServerSecurityOptions
        {
            TlsCertFile = flags[EtcdFlags.TlsCertFile],
            TlsPrivateKeyFile = flags[EtcdFlags.TlsPrivateKeyFile],
            CertDir = certDir.Length > 0 ? certDir : Path.Combine(dataDir, "fixtures", "apiserver"),
            ClientCaFile = flags[EtcdFlags.ClientCaFile],
            TokenAuthFile = flags[EtcdFlags.TokenAuthFile],
            AnonymousAuth = anonymous,
        };
    }
}
