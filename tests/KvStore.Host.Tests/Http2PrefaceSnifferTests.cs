using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using KvStore.Host.Kestrel;

namespace KvStore.Host.Tests;

/// <summary>The decision between HTTP/2 (prior knowledge) and HTTP/1.1 on one port, from the first bytes.</summary>
public sealed class Http2PrefaceSnifferTests
{
    private const string Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

    [Theory]
    [InlineData("", "Undecided")]
    [InlineData("P", "Undecided")]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r", "Undecided")]
    [InlineData(Preface, "Preface")]
    [InlineData(Preface + "\0\0\0\u0004", "Preface")]
    [InlineData("G", "Other")]
    [InlineData("PUT / HTTP/1.1\r\n", "Other")]
    [InlineData("PRI * HTTP/1.1\r\n", "Other")]
    public void Bytes_so_far_decide_or_wait(string bytes, string expected)
    {
        Assert.Equal(expected, Http2PrefaceSniffer.Match(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(bytes))).ToString());
    }

    [Theory]
    [InlineData(new[] { Preface }, true)]
    [InlineData(new[] { "PRI * HTTP/2", ".0\r\n\r\nSM\r", "\n\r\n" }, true)]
    [InlineData(new[] { "PRI * HTTP/2.0\r\n", "GET" }, false)]
    [InlineData(new[] { "GET / HTTP/1.1\r\n\r\n" }, false)]
    public async Task The_peek_consumes_nothing(string[] writes, bool http2)
    {
        var pipe = new Pipe();
        var sniffing = Http2PrefaceSniffer.StartsWithPrefaceAsync(pipe.Reader, CancellationToken.None);
        foreach (var write in writes)
        {
            await pipe.Writer.WriteAsync(Encoding.ASCII.GetBytes(write));
        }

        Assert.Equal(http2, await sniffing.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        await pipe.Writer.CompleteAsync();
        var all = await pipe.Reader.ReadAtLeastAsync(int.MaxValue);
        Assert.Equal(string.Concat(writes), Encoding.ASCII.GetString(all.Buffer));
    }

    [Fact]
    public async Task A_connection_closed_before_deciding_goes_to_http11()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync("PRI"u8.ToArray());
        await pipe.Writer.CompleteAsync();

        Assert.False(await Http2PrefaceSniffer.StartsWithPrefaceAsync(pipe.Reader, CancellationToken.None));
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\n\r\n", true)]
    [InlineData("POST /v3/kv/range HTTP/1.0\n", true)]
    [InlineData("GET /a b HTTP/1.1\r\n", false)]      // the protocol is all after the second space, as cmux reads it
    [InlineData("GET / HTTP/2.0\r\n", false)]
    [InlineData("GET /\r\n", false)]
    [InlineData("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", false)] // a TLS client hello, closed before a line break
    [InlineData("\r\nGET / HTTP/1.1\r\n", false)]
    public async Task Only_an_HTTP1_request_line_goes_to_http11(string bytes, bool http1)
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(Encoding.Latin1.GetBytes(bytes));
        await pipe.Writer.CompleteAsync();
        Assert.Equal(http1, await Http2PrefaceSniffer.StartsWithHttp1RequestLineAsync(pipe.Reader, CancellationToken.None));
    }

    [Fact]
    public async Task A_first_line_longer_than_4096_bytes_is_not_http11()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(Encoding.ASCII.GetBytes("GET /" + new string('a', 5000)));
        Assert.False(await Http2PrefaceSniffer.StartsWithHttp1RequestLineAsync(pipe.Reader, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
