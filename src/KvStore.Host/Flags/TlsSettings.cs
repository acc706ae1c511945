using System.Net.Security;
using KvStore.Server.Transport;
using Microsoft.Extensions.Logging;

namespace KvStore.Host.Flags;

/// <summary>
/// etcd's client and peer TLS flags (--cert-file ... --peer-cert-allowed-hostname, --cipher-suites, --auto-tls,
/// --peer-auto-tls, --self-signed-cert-validity) as two <see cref="TlsInfo"/>s. Self-signed certificates are made at
/// start (<see cref="Resolve"/>), in the data dir, as etcd's ClientSelfCert and PeerSelfCert do.
/// </summary>
internal sealed record TlsSettings
{
    public TlsInfo Client { get; init; } = TlsInfo.None;
    public TlsInfo Peer { get; init; } = TlsInfo.None;
    public bool ClientAutoTls { get; init; }
    public bool PeerAutoTls { get; init; }
    public uint SelfSignedCertValidity { get; init; } = 1;

    /// <summary>Whether a client URL is served over TLS (https, unixs).</summary>
    public static bool IsSecure(Uri url) => url.Scheme is "https" or "unixs";

    /// <summary>
    /// The TLS flags with etcd's checks and warnings: an https client or peer URL needs a certificate and key (or
    /// auto TLS), an http one ignores them; allowed CN and hostname exclude each other; cipher suites must be Go's.
    /// </summary>
    public static TlsSettings FromFlags(FlagValues flags, IReadOnlyList<Uri> listenClient, IReadOnlyList<Uri> listenPeer,
        IReadOnlyList<Uri> listenMetrics,
        List<StartupNote> notes)
    {
        IReadOnlyList<TlsCipherSuite> suites;
        try
        {
            suites = TlsCipherSuites.Parse(flags[EtcdFlags.CipherSuites].Split(',',
                StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }
        catch (TlsConfigException e)
        {
            throw new FlagException(e.Message);
        }
        var client = new TlsInfo
        {
            CertFile = flags[EtcdFlags.CertFile],
            KeyFile = flags[EtcdFlags.KeyFile],
            TrustedCaFile = flags[EtcdFlags.TrustedCaFile],
            ClientCertAuth = Bool(flags, EtcdFlags.ClientCertAuth),
            CrlFile = flags[EtcdFlags.ClientCrlFile],
            AllowedHostname = flags[EtcdFlags.ClientCertAllowedHostname],
            CipherSuites = suites,
        };
        var peer = new TlsInfo
        {
            CertFile = flags[EtcdFlags.PeerCertFile],
            KeyFile = flags[EtcdFlags.PeerKeyFile],
            TrustedCaFile = flags[EtcdFlags.PeerTrustedCaFile],
            ClientCertAuth = Bool(flags, EtcdFlags.PeerClientCertAuth),
            CrlFile = flags[EtcdFlags.PeerCrlFile],
            AllowedCn = flags[EtcdFlags.PeerCertAllowedCn],
            AllowedHostname = flags[EtcdFlags.PeerCertAllowedHostname],
            SkipClientSanVerify = Bool(flags, EtcdFlags.PeerSkipClientSanVerification),
            CipherSuites = suites,
        };
        var settings = new TlsSettings
        {
            Client = client,
            Peer = peer,
            ClientAutoTls = Bool(flags, EtcdFlags.AutoTls),
            PeerAutoTls = Bool(flags, EtcdFlags.PeerAutoTls),
            SelfSignedCertValidity = uint.TryParse(flags[EtcdFlags.SelfSignedCertValidity], out uint years) ? years : 1,
        };
        if (peer.AllowedCn.Length > 0 && peer.AllowedHostname.Length > 0)
        {
            throw new FlagException(
                $"AllowedCN and AllowedHostname are mutually exclusive (cn=\"{peer.AllowedCn}\", hostname=\"{peer.AllowedHostname}\")");
        }
        if ((settings.ClientAutoTls || settings.PeerAutoTls) && settings.SelfSignedCertValidity == 0)
        {
            throw new FlagException("selfSignedCertValidity is invalid,it should be greater than 0");
        }
        settings.Check(listenClient, listenPeer, listenMetrics, notes);
        return settings;
    }

    private void Check(IReadOnlyList<Uri> listenClient, IReadOnlyList<Uri> listenPeer, IReadOnlyList<Uri> listenMetrics, List<StartupNote> notes)
    {
        bool clientCerts = !Client.Empty || ClientAutoTls, peerCerts = !Peer.Empty || PeerAutoTls;
        if (ClientAutoTls && !Client.Empty) notes.Add(new(LogLevel.Warning, "ignoring client auto TLS since certs given"));
        if (PeerAutoTls && !Peer.Empty) notes.Add(new(LogLevel.Warning, "ignoring peer auto TLS since certs given"));
        foreach (Uri url in listenClient)
        {
            string text = HostSettings.Text(url);
            if (IsSecure(url) && !clientCerts)
            {
                throw new FlagException($"TLS key/cert (--cert-file, --key-file) must be provided for client url {text} with HTTPS scheme");
            }
            if (IsSecure(url)) continue;
            if (clientCerts) notes.Add(new(LogLevel.Warning,
                $"scheme is HTTP while key and cert files are present; ignoring key and cert files (client-url {text})"));
            if (Client.ClientCertAuth) notes.Add(new(LogLevel.Warning,
                $"scheme is HTTP while --client-cert-auth is enabled; ignoring client cert auth for this URL (client-url {text})"));
        }
        // etcd's metrics listener uses the client TLS info on https URLs
        if (!clientCerts && listenMetrics.FirstOrDefault(IsSecure) is { } metrics)
        {
            throw new FlagException($"cannot listen on TLS for {metrics.Authority}: KeyFile and CertFile are not presented");
        }
        foreach (Uri url in listenPeer)
        {
            if (url.Scheme == "https" && !peerCerts)
            {
                throw new FlagException($"cannot listen on TLS for {url.Authority}: KeyFile and CertFile are not presented");
            }
            if (url.Scheme == "https") continue;
            if (peerCerts) notes.Add(new(LogLevel.Warning,
                $"scheme is HTTP while key and cert files are present; ignoring key and cert files (peer-url {HostSettings.Text(url)})"));
            if (Peer.ClientCertAuth) notes.Add(new(LogLevel.Warning,
                $"scheme is HTTP while --peer-client-cert-auth is enabled; ignoring client cert auth for this URL (peer-url " +
                $"{HostSettings.Text(url)})"));
        }
    }

    /// <summary>
    /// At start: --auto-tls and --peer-auto-tls certificates made (or reused) under &lt;data-dir&gt;/fixtures, then
    /// every certificate, key and CA file read once, so that a missing or bad file stops the member with etcd's
    /// message (<see cref="TlsConfigException"/>) before it serves.
    /// </summary>
    public TlsSettings Resolve(string dataDir, IReadOnlyList<Uri> listenClient, IReadOnlyList<Uri> listenPeer, IReadOnlyList<Uri> listenMetrics)
    {
        TlsInfo client = Client, peer = Peer;
        // etcd replaces the whole TLS info with the self-signed one: client-cert-auth, the trusted CA, the CRL and
        // the allowed CN/hostname given with auto TLS have no effect there either.
        if (ClientAutoTls && client.Empty)
        {
            client = SelfCert.Create(Path.Combine(dataDir, "fixtures", "client"), SelfCert.HostsOf(listenClient), SelfSignedCertValidity,
                client.CipherSuites);
        }
        if (PeerAutoTls && peer.Empty)
        {
            peer = SelfCert.Create(Path.Combine(dataDir, "fixtures", "peer"), SelfCert.HostsOf(listenPeer), SelfSignedCertValidity,
                peer.CipherSuites);
        }
        if (listenClient.Concat(listenMetrics).Any(IsSecure)) client.Validate();
        if (listenPeer.Any(u => u.Scheme == "https")) peer.Validate();
        return this with { Client = client, Peer = peer };
    }

    private static bool Bool(FlagValues flags, string name) => FlagText.TryParseBool(flags[name], out bool value) && value;
}
