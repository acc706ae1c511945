using System.Net.Security;

namespace KvStore.Server.Transport;

/// <summary>
/// etcd's --cipher-suites: the names Go 1.19's crypto/tls knows (tls.CipherSuites and tls.InsecureCipherSuites, plus
/// etcd's two CHACHA20 aliases), each the .NET suite of the same IANA name. As in Go, the list restricts TLS 1.2;
/// TLS 1.3 always keeps its three suites. OpenSSL refuses to negotiate the RC4 and 3DES ones at its default
/// security level, so a list of only those accepts no TLS 1.2 client.
/// </summary>
public static class TlsCipherSuites
{
    private static readonly Dictionary<string, TlsCipherSuite> Known = new(StringComparer.Ordinal)
    {
        ["TLS_RSA_WITH_RC4_128_SHA"] = TlsCipherSuite.TLS_RSA_WITH_RC4_128_SHA,
        ["TLS_RSA_WITH_3DES_EDE_CBC_SHA"] = TlsCipherSuite.TLS_RSA_WITH_3DES_EDE_CBC_SHA,
        ["TLS_RSA_WITH_AES_128_CBC_SHA"] = TlsCipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA,
        ["TLS_RSA_WITH_AES_256_CBC_SHA"] = TlsCipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA,
        ["TLS_RSA_WITH_AES_128_CBC_SHA256"] = TlsCipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA256,
        ["TLS_RSA_WITH_AES_128_GCM_SHA256"] = TlsCipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256,
        ["TLS_RSA_WITH_AES_256_GCM_SHA384"] = TlsCipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384,
        ["TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA,
        ["TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
        ["TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
        ["TLS_ECDHE_RSA_WITH_RC4_128_SHA"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_RC4_128_SHA,
        ["TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
        ["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
        ["TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
        ["TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
        ["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
        ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        ["TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ["TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        ["TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ["TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        ["TLS_AES_128_GCM_SHA256"] = TlsCipherSuite.TLS_AES_128_GCM_SHA256,
        ["TLS_AES_256_GCM_SHA384"] = TlsCipherSuite.TLS_AES_256_GCM_SHA384,
        ["TLS_CHACHA20_POLY1305_SHA256"] = TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
    };

    private static readonly TlsCipherSuite[] Tls13 =
        [TlsCipherSuite.TLS_AES_128_GCM_SHA256, TlsCipherSuite.TLS_AES_256_GCM_SHA384, TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256];

    /// <summary>etcd's tlsutil.GetCipherSuites: the suites named, in order; an unknown name fails with etcd's message.</summary>
    public static IReadOnlyList<TlsCipherSuite> Parse(IEnumerable<string> names)
    {
        var suites = new List<TlsCipherSuite>();
        foreach (string name in names)
        {
            if (!Known.TryGetValue(name, out TlsCipherSuite suite)) throw new TlsConfigException($"unexpected TLS cipher suite \"{name}\"");
            suites.Add(suite);
        }
        return suites;
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IReadOnlyList<TlsCipherSuite>, CipherSuitesPolicy> Policies = [];

    /// <summary>
    /// The policy for a handshake (made once per list): null (OpenSSL's defaults) without a list; else the list plus TLS 1.3's suites.
    /// </summary>
    internal static CipherSuitesPolicy? Policy(IReadOnlyList<TlsCipherSuite> suites)
    {
        if (suites.Count == 0 || OperatingSystem.IsWindows()) return null;
        if (Policies.TryGetValue(suites, out CipherSuitesPolicy? policy)) return policy;
        policy = new CipherSuitesPolicy(suites.Concat(Tls13).Distinct());
        Policies.AddOrUpdate(suites, policy);
        return policy;
    }
}
