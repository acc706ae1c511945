using System.Net;
using System.Net.Sockets;
using KvStore.Host.Flags;
using KvStore.Server.DataDir;
using Microsoft.AspNetCore.Connections;

namespace KvStore.Host.Startup;

/// <summary>
/// What a failed start says, in one line and etcd's words: a damaged data dir names the file and the reason
/// (etcd: "cannot open database at D (invalid database)"), a port in use is Go's listen error. Anything else is
/// its message; the stack trace is logged only at --log-level debug.
/// </summary>
internal static class StartupFailure
{
    public static string Describe(Exception e, HostSettings settings)
    {
        switch (e)
        {
            case DataDirException:
                return e.Message;
            case SocketException socket:
                // DotNext binds the first --listen-peer-urls when the member starts.
                Uri peer = settings.Server.ListenPeerUrls[0];
                return ListenProbe.BindError(new IPEndPoint(AddressOf(peer), peer.Port), socket.SocketErrorCode);
            case IOException { InnerException: AddressInUseException } when KestrelAddress(e.Message) is { } url:
                return ListenProbe.BindError(new IPEndPoint(AddressOf(url), url.Port), SocketError.AddressAlreadyInUse);
            default:
                return e.InnerException is SocketException inner ? Describe(inner, settings) : e.Message.ReplaceLineEndings(" ");
        }
    }

    /// <summary>The address a URL names: loopback for "localhost", else its IP.</summary>
    private static IPAddress AddressOf(Uri url) => url.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(url.DnsSafeHost);

    /// <summary>The URL in Kestrel's "Failed to bind to address http://127.0.0.1:2379: address already in use."</summary>
    private static Uri? KestrelAddress(string message)
    {
        const string Prefix = "Failed to bind to address ";
        if (!message.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        string rest = message[Prefix.Length..];
        int end = rest.IndexOf(": ", StringComparison.Ordinal);
        bool parsed = Uri.TryCreate(end >= 0 ? rest[..end] : rest, UriKind.Absolute, out Uri? url);
        return parsed && IPAddress.TryParse(url!.DnsSafeHost, out _) || url?.Host == "localhost" ? url : null;
    }
}
