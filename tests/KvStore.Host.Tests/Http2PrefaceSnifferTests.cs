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
}
