using System.Net.Sockets;
using System.Text;

namespace KvStore.Differential.Tests.Hostile;

/// <summary>Bytes written straight to a server's TCP port, and what came back, as one line.</summary>
internal static class RawSocket
{
    public static async Task<TcpClient> ConnectAsync(string clientUrl)
    {
        var uri = new Uri(clientUrl);
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(uri.Host, uri.Port);
        return tcp;
    }

    /// <summary>
    /// Writes <paramref name="bytes"/> on a new connection and reads until the server closes it or <paramref name="quiet"/>
    /// passes without a byte; returns what it answered (see <see cref="Describe"/>).
    /// </summary>
    public static async Task<string> ExchangeAsync(string clientUrl, byte[] bytes, TimeSpan quiet)
    {
        using TcpClient tcp = await ConnectAsync(clientUrl);
        NetworkStream stream = tcp.GetStream();
        await stream.WriteAsync(bytes);
        var (answer, closed) = await ReadAllAsync(stream, quiet);
        return Describe(answer, closed);
    }

    /// <summary>Everything the server sends until it closes the connection (true) or goes quiet for <paramref name="quiet"/>.</summary>
    public static async Task<(byte[] Bytes, bool Closed)> ReadAllAsync(Stream stream, TimeSpan quiet)
    {
        var answer = new MemoryStream();
        var buffer = new byte[16 * 1024];
        while (true)
        {
            using var wait = new CancellationTokenSource(quiet);
            int n;
            try
            {
                n = await stream.ReadAsync(buffer, wait.Token);
            }
            catch (OperationCanceledException)
            {
                return (answer.ToArray(), false);
            }
            catch (IOException)
            {
                return (answer.ToArray(), true); // reset by the server
            }
            if (n == 0) return (answer.ToArray(), true);
            answer.Write(buffer, 0, n);
        }
    }

    /// <summary>
    /// "closed without an answer", "no answer, left open", an HTTP/1.x answer as its status line (and a short body),
    /// or an HTTP/2 answer as its frame types and a GOAWAY's error code.
    /// </summary>
    public static string Describe(byte[] answer, bool closed)
    {
        string end = closed ? "closed" : "left open";
        if (answer.Length == 0) return closed ? "closed without an answer" : "no answer, left open";
        string text = Encoding.Latin1.GetString(answer);
        if (text.StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            int eol = text.IndexOf("\r\n", StringComparison.Ordinal);
            string status = eol < 0 ? text : text[..eol];
            int bodyAt = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            string body = bodyAt < 0 ? "" : text[(bodyAt + 4)..].Trim();
            return $"{status}" + (body.Length > 0 ? $" \"{(body.Length > 80 ? body[..80] + "..." : body)}\"" : "") + $", {end}";
        }
        return Http2Frames(answer) + $", {end}";
    }

    /// <summary>HTTP/2 frames as "SETTINGS GOAWAY(PROTOCOL_ERROR)"; SETTINGS acks, pings and window updates left out.</summary>
    private static string Http2Frames(byte[] b)
    {
        var frames = new List<string>();
        int i = 0;
        while (i + 9 <= b.Length)
        {
            int length = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
            byte type = b[i + 3], flags = b[i + 4];
            int payload = i + 9;
            switch (type)
            {
                case 4 when (flags & 1) == 0: frames.Add("SETTINGS"); break;
                case 7 when payload + 8 <= b.Length:
                    uint code = (uint)((b[payload + 4] << 24) | (b[payload + 5] << 16) | (b[payload + 6] << 8) | b[payload + 7]);
                    frames.Add($"GOAWAY({ErrorName(code)})");
                    break;
                case 0: frames.Add("DATA"); break;
                case 1: frames.Add("HEADERS"); break;
                case 3: frames.Add("RST_STREAM"); break;
            }
            i = payload + length;
        }
        return frames.Count == 0 ? $"{b.Length} bytes" : string.Join(' ', frames);
    }

    private static string ErrorName(uint code) => code switch
    {
        0 => "NO_ERROR",
        1 => "PROTOCOL_ERROR",
        2 => "INTERNAL_ERROR",
        3 => "FLOW_CONTROL_ERROR",
        6 => "FRAME_SIZE_ERROR",
        9 => "COMPRESSION_ERROR",
        11 => "ENHANCE_YOUR_CALM",
        _ => code.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
