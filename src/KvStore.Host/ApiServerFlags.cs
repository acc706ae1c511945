using System.CommandLine;
using System.Globalization;
using System.Net;
using KvStore.ApiServer.Http;
using KvStore.ApiServer.Security;
using KvStore.Host.Flags;
using Microsoft.Extensions.Logging;

namespace KvStore.Host;

/// <summary>
/// `kvstore apiserver`'s flags, kube-apiserver's names and defaults: the etcd client (--etcd-servers, --etcd-cafile,
/// --etcd-certfile, --etcd-keyfile), secure serving (--secure-port 6443 on --bind-address 0.0.0.0, --tls-cert-file,
/// --tls-private-key-file, --cert-dir /var/run/kubernetes), authentication (--client-ca-file, --token-auth-file,
/// --anonymous-auth). kvstore's --listen-url replaces --bind-address/--secure-port: https://IP:PORT is the same as
/// those two, http://IP:PORT serves without TLS (kube-apiserver has no insecure port since 1.20).
/// </summary>
internal sealed class ApiServerFlags
{
    private readonly Option<string> _etcdServers = new("--etcd-servers")
    {
        Description = "List of etcd servers to connect with (scheme://ip:port), comma separated.",
        Required = true,
    };

    private readonly Option<string> _etcdCaFile = new("--etcd-cafile")
    {
        Description = "SSL Certificate Authority file used to secure etcd communication.",
        DefaultValueFactory = _ => "",
    };

    private readonly Option<string> _etcdCertFile = new("--etcd-certfile")
    {
        Description = "SSL certification file used to secure etcd communication.",
        DefaultValueFactory = _ => "",
    };

    private readonly Option<string> _etcdKeyFile = new("--etcd-keyfile")
    {
        Description = "SSL key file used to secure etcd communication.",
        DefaultValueFactory = _ => "",
    };

    private readonly Option<string> _bindAddress = new("--bind-address")
    {
        Description = "The IP address on which to listen for the --secure-port port. If blank or an unspecified address (0.0.0.0 or ::), all " +
            "interfaces will be used.",
        DefaultValueFactory = _ => "0.0.0.0",
    };

    private readonly Option<int> _securePort = new("--secure-port")
    {
        Description = "The port on which to serve HTTPS with authentication. It cannot be switched off with 0.",
        DefaultValueFactory = _ => 6443,
    };

    private readonly Option<string> _listenUrl = new("--listen-url")
    {
        Description = "kvstore: serve on this URL instead of --bind-address/--secure-port; https://IP:PORT (TLS) or http://IP:PORT (no TLS, no " +
            "client certificates).",
    };

    private readonly Option<string> _tlsCertFile = new("--tls-cert-file")
    {
        Description = "File containing the default x509 Certificate for HTTPS. (CA cert, if any, concatenated after server cert). If HTTPS serving " +
            "is enabled, and --tls-cert-file and --tls-private-key-file are not provided, a self-signed certificate and key are generated for the " +
            "public address and saved to the directory specified by --cert-dir.",
        DefaultValueFactory = _ => "",
    };

    private readonly Option<string> _tlsKeyFile = new("--tls-private-key-file")
    {
        Description = "File containing the default x509 private key matching --tls-cert-file.",
        DefaultValueFactory = _ => "",
    };

    private readonly Option<string> _certDir = new("--cert-dir")
    {
        Description = "The directory where the TLS certs are located. If --tls-cert-file and --tls-private-key-file are provided, this flag will " +
            "be ignored.",
        DefaultValueFactory = _ => "/var/run/kubernetes",
    };

    private readonly Option<string> _clientCaFile = new("--client-ca-file")
    {
        Description = "If set, any request presenting a client certificate signed by one of the authorities in the client-ca-file is authenticated " +
            "with an identity corresponding to the CommonName of the client certificate.",
        DefaultValueFactory = _ => "",
    };

    private readonly Option<string> _tokenAuthFile = new("--token-auth-file")
    {
        Description = "If set, the file that will be used to secure the secure port of the API server via token authentication.",
        DefaultValueFactory = _ => "",
    };

    private readonly Option<bool> _anonymousAuth = new("--anonymous-auth")
    {
        Description = "Enables anonymous requests to the secure port of the API server. Requests that are not rejected by another authentication " +
            "method are treated as anonymous requests. Anonymous requests have a username of system:anonymous, and a group name of " +
            "system:unauthenticated.",
        DefaultValueFactory = _ => true,
    };

    private readonly Option<string> _eventTtl = new("--event-ttl")
    {
        Description = "Amount of time to retain events.",
        DefaultValueFactory = _ => "1h0m0s",
    };

    private readonly Option<string> _serviceRange = new("--service-cluster-ip-range")
    {
        Description = "A CIDR notation IP range from which to assign service cluster IPs.",
        DefaultValueFactory = _ => "10.96.0.0/12",
    };

    private readonly Option<string> _nodePortRange = new("--service-node-port-range")
    {
        Description = "A port range to reserve for services with NodePort visibility. Example: '30000-32767'. Inclusive at both ends of the range.",
        DefaultValueFactory = _ => NodePortRange.Default,
    };

    private readonly Option<string> _compaction = new("--etcd-compaction-interval")
    {
        Description = "The interval of compaction requests. If 0, the compaction request from apiserver is disabled.",
        DefaultValueFactory = _ => "5m0s",
    };

    private readonly Option<string> _logLevel = new("--log-level")
    {
        Description = "debug, info, warn, error, panic or fatal (as the member's --log-level).",
        DefaultValueFactory = _ => "info",
    };

    /// <summary>The `apiserver` subcommand with these flags (parsed under a root command: `kvstore apiserver [options]`).</summary>
    public Command Command() => new(ApiServerCommand.Name, "The Kubernetes-style REST API (what kubectl talks to) over an etcd v3 endpoint list.")
    {
        _etcdServers, _etcdCaFile, _etcdCertFile, _etcdKeyFile,
        _bindAddress, _securePort, _listenUrl, _tlsCertFile, _tlsKeyFile, _certDir,
        _clientCaFile, _tokenAuthFile, _anonymousAuth,
        _eventTtl, _serviceRange, _nodePortRange, _compaction, _logLevel,
    };

    /// <summary>What the flags ask for, checked; throws <see cref="FormatException"/> or <see cref="FlagException"/>.</summary>
    public sealed record Values(ApiServerOptions Options, IReadOnlyList<Uri> Endpoints, string EtcdCaFile, string EtcdCertFile, string EtcdKeyFile,
        LogLevel Level);

    public Values Read(ParseResult result)
    {
        var level = HostSettings.LogLevelOf(result.GetValue(_logLevel)!);
        var endpoints = result.GetValue(_etcdServers)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(e => Uri.TryCreate(e, UriKind.Absolute, out var u) && u.Scheme is "http" or "https"
                ? u
                : throw new FormatException($"--etcd-servers: invalid URL \"{e}\" (http://ip:port or https://ip:port)"))
            .ToList();
        if (endpoints.Count == 0) throw new FormatException("--etcd-servers: at least one URL is required");
        var range = result.GetValue(_serviceRange)!;
        ClusterIpRange.Parse(range);
        var nodePorts = result.GetValue(_nodePortRange)!;
        NodePortRange.Parse(nodePorts);
        return new Values(new ApiServerOptions
        {
            ListenUrl = ListenUrl(result),
            EventTtl = Duration(result.GetValue(_eventTtl)!, "--event-ttl"),
            ServiceClusterIpRange = range,
            ServiceNodePortRange = nodePorts,
            CompactionInterval = Duration(result.GetValue(_compaction)!, "--etcd-compaction-interval"),
            Security = new ApiServerSecurityOptions
            {
                TlsCertFile = result.GetValue(_tlsCertFile)!,
                TlsPrivateKeyFile = result.GetValue(_tlsKeyFile)!,
                CertDir = result.GetValue(_certDir)!,
                ClientCaFile = result.GetValue(_clientCaFile)!,
                TokenAuthFile = result.GetValue(_tokenAuthFile)!,
                AnonymousAuth = result.GetValue(_anonymousAuth),
            },
        }, endpoints, result.GetValue(_etcdCaFile)!, result.GetValue(_etcdCertFile)!, result.GetValue(_etcdKeyFile)!, level);
    }

    /// <summary>--listen-url as given, else https://--bind-address:--secure-port with kube's checks.</summary>
    private Uri ListenUrl(ParseResult result)
    {
        if (result.GetValue(_listenUrl) is { } text)
        {
            if (Explicit(result, _bindAddress) || Explicit(result, _securePort))
            {
                throw new FormatException("--listen-url replaces --bind-address and --secure-port: give one or the other");
            }
            if (!Uri.TryCreate(text, UriKind.Absolute, out var listen) || listen.Scheme is not ("http" or "https"))
            {
                throw new FormatException($"--listen-url: invalid URL \"{text}\" (https://ip:port or http://ip:port)");
            }
            return listen;
        }
        var port = result.GetValue(_securePort);
        if (port is < 1 or > 65535)
        {
            throw new FormatException($"--secure-port {port} must be between 1 and 65535, inclusive. It cannot be turned off with 0");
        }
        var bind = result.GetValue(_bindAddress)!;
        var ip = bind.Length == 0 ? IPAddress.Any
            : IPAddress.TryParse(bind, out var parsed) ? parsed
            : throw new FormatException($"invalid argument \"{bind}\" for \"--bind-address\" flag: failed to parse IP: \"{bind}\"");
        var host = ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip}]" : ip.ToString();
        return new Uri(string.Create(CultureInfo.InvariantCulture, $"https://{host}:{port}"));
    }

    private static bool Explicit(ParseResult result, Option option) => result.GetResult(option) is { Implicit: false };

    private static TimeSpan Duration(string text, string flag) =>
        FlagText.TryParseDuration(text, out var value) ? value : throw new FormatException($"{flag}: invalid duration \"{text}\"");
}
