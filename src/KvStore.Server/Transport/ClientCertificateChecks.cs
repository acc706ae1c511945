using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace KvStore.Server.Transport;

/// <summary>The checks etcd makes on a verified client certificate beyond its chain (pkg/transport/listener.go, listener_tls.go).</summary>
internal static class ClientCertificateChecks
{
    /// <summary>
    /// --peer-cert-allowed-cn: the certificate's CN is exactly it; --peer-cert-allowed-hostname (and the client's):
    /// the certificate is valid for that name or IP by its SANs (Go's VerifyHostname; the CN does not count).
    /// </summary>
    public static bool Allowed(X509Certificate2 leaf, string allowedCn, string allowedHostname)
    {
        if (allowedCn.Length > 0) return leaf.GetNameInfo(X509NameType.SimpleName, forIssuer: false) == allowedCn;
        if (allowedHostname.Length > 0) return leaf.MatchesHostname(allowedHostname, allowWildcards: true, allowCommonName: false);
        return true;
    }

    /// <summary>
    /// etcd's checkSAN on the peer listener: a client certificate with IP or DNS SANs must name the address the
    /// connection comes from (an IP SAN equal to it, or a DNS SAN that resolves to it); one without SANs passes.
    /// </summary>
    public static bool MatchesAddress(X509Certificate2 leaf, EndPoint? remote)
    {
        if (leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault() is not { } san) return true;
        IPAddress[] ips = san.EnumerateIPAddresses().ToArray();
        string[] dns = san.EnumerateDnsNames().ToArray();
        if (ips.Length == 0 && dns.Length == 0) return true;
        if (remote is not IPEndPoint { Address: var address }) return false;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (ips.Any(ip => ip.Equals(address))) return true;
        return dns.Length > 0 && ResolvesTo(dns, address);
    }

    private static bool ResolvesTo(string[] names, IPAddress address)
    {
        foreach (string name in names.Where(n => !n.StartsWith("*.", StringComparison.Ordinal)))
        {
            try
            {
                if (Dns.GetHostAddresses(name).Any(a => (a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a).Equals(address))) return true;
            }
            catch (System.Net.Sockets.SocketException)
            {
                // an unknown name matches nothing
            }
        }
        try
        {
            string reverse = Dns.GetHostEntry(address).HostName.TrimEnd('.');
            return names.Any(n => n == reverse
                || (n.StartsWith("*.", StringComparison.Ordinal) && reverse.EndsWith(n[1..], StringComparison.Ordinal)));
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}
