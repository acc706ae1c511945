using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using KvStore.Host.Kestrel;
using KvStore.Host.Kestrel.Hpack;

namespace KvStore.Host.Tests.Kestrel;

/// <summary>
/// The frame rewriter on hand-built client byte streams: padded/prioritised HEADERS split over CONTINUATION,
/// authorities referenced through the client's dynamic table, DATA and other frames copied unchanged.
/// </summary>
public sealed class Http2AuthorityRewriterTests
{
    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    private record Frame(byte Type, byte Flags, uint Stream, byte[] Payload);

    [Theory]
    [InlineData(0)] // all at once
    [InlineData(1)] // one byte per read
    [InlineData(7)]
    public void Rewrites_url_authorities_and_copies_other_frames(int chunk)
    {
        var output = Run(ClientStream(), chunk, new Http2AuthorityRewriter());
        AssertRewritten(output);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5)]
    public void Passes_blocks_unchanged_until_one_needs_a_fix_then_rewrites_every_later_block(int chunk)
    {
        var good = "127.0.0.1:2379"u8.ToArray();
        var url = "http://127.0.0.1:2379"u8.ToArray();
        var customKey = Convert.FromHexString("400a637573746f6d2d6b65790c637573746f6d2d76616c7565"); // custom-key: custom-value, indexed
        // Stream 1 indexes the good authority (then 63) and custom-key (62); stream 3 references both.
        var block1 = Concat([0x82, 0x86, 0x84, 0x41, (byte)good.Length], good, customKey);
        var block3 = new byte[] { 0x83, 0x86, 0x84, 0xbf, 0xbe };
        // Stream 5 indexes a URL authority (62; custom-key 63, good authority 64); stream 7 references it and custom-key.
        var block5 = Concat([0x83, 0x86, 0x84, 0x41, (byte)url.Length], url);
        var block7 = new byte[] { 0x83, 0x86, 0x84, 0xbe, 0xbf };
        var passed = Concat(
            FrameBytes(0x4, 0, 0, [0, 3, 0, 0, 0, 100]),
            FrameBytes(0x1, 0x4, 1, block1),
            FrameBytes(0x0, 0x1, 1, "one"u8.ToArray()),
            FrameBytes(0x1, 0x4 | 0x1, 3, block3));
        var input = Concat(
            Preface,
            passed,
            FrameBytes(0x1, 0x4, 5, block5),
            FrameBytes(0x0, 0x1, 5, "five"u8.ToArray()),
            FrameBytes(0x1, 0x4 | 0x1, 7, block7));

        var output = Run(input, chunk, new Http2AuthorityRewriter());

        // Everything before the first URL authority is byte for byte what the client sent.
        Assert.Equal(Concat(Preface, passed), output[..(Preface.Length + passed.Length)]);
        var frames = Frames(output);
        Assert.Equal([0x4, 0x1, 0x0, 0x1, 0x1, 0x0, 0x1], frames.Select(f => f.Type));
        var server = new HpackDecoder();
        var blocks = new List<string[]>();
        foreach (var frame in frames.Where(f => f.Type == 0x1))
        {
            var fields = new List<HeaderField>();
            server.Decode(frame.Payload, fields);
            blocks.Add(fields.Select(HpackTests.Text).ToArray());
        }
        Assert.Equal([":method: GET", ":scheme: http", ":path: /", ":authority: 127.0.0.1:2379", "custom-key: custom-value"], blocks[0]);
        Assert.Equal([":method: POST", ":scheme: http", ":path: /", ":authority: 127.0.0.1:2379", "custom-key: custom-value"], blocks[1]);
        Assert.Equal([":method: POST", ":scheme: http", ":path: /", ":authority: 127.0.0.1:2379"], blocks[2]);
        Assert.Equal([":method: POST", ":scheme: http", ":path: /", ":authority: 127.0.0.1:2379", "custom-key: custom-value"], blocks[3]);
        // The server's table holds what the passed blocks indexed, nothing the rewritten ones did.
        Assert.Equal(2, server.TableCount);
        Assert.Equal("five"u8.ToArray(), frames[5].Payload);
        Assert.Equal(0x1 | 0x4, frames[6].Flags);
    }

    [Fact]
    public async Task Pump_passes_a_connection_through_pipes()
    {
        var input = new Pipe();
        var output = new Pipe();
        var pump = new Http2AuthorityRewriter().PumpAsync(input.Reader, output.Writer);
        var bytes = ClientStream();
        for (var i = 0; i < bytes.Length; i += 10)
        {
            await input.Writer.WriteAsync(bytes.AsMemory(i, Math.Min(10, bytes.Length - i)));
        }
        await input.Writer.CompleteAsync();
        await pump;
        var all = new MemoryStream();
        while (true)
        {
            var result = await output.Reader.ReadAsync();
            foreach (var segment in result.Buffer)
            {
                all.Write(segment.Span);
            }
            output.Reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }
        AssertRewritten(all.ToArray());
    }

    [Fact]
    public async Task Pump_fails_the_output_on_a_block_that_does_not_decode()
    {
        var input = new Pipe();
        var output = new Pipe();
        var pump = new Http2AuthorityRewriter().PumpAsync(input.Reader, output.Writer);
        var bytes = Concat(Preface, FrameBytes(0x1, 0x4, 1, [0xbe])); // dynamic index 62 on an empty table
        await input.Writer.WriteAsync(bytes);
        await pump;
        await Assert.ThrowsAsync<HpackDecodingException>(async () =>
        {
            while (!(await output.Reader.ReadAsync()).IsCompleted)
            {
            }
        });
    }

    [Fact]
    public void Splits_blocks_larger_than_the_frame_size_over_continuation_frames()
    {
        var client = new ArrayBufferWriter<byte>();
        HpackEncoder.Encode([HpackTests.Field(":authority", "http://127.0.0.1:2379"), HpackTests.Field("x-big", new string('b', 40000))], client);
        var bytes = Concat(Preface, FrameBytes(0x1, 0x4 | 0x1, 1, client.WrittenSpan.ToArray(), allowLarge: true));
        var frames = Frames(Run(bytes, 0, new Http2AuthorityRewriter()));
        Assert.True(frames.Count >= 3);
        Assert.Equal((byte)0x1, frames[0].Type);
        Assert.Equal(0x1, frames[0].Flags); // END_STREAM kept, END_HEADERS moved to the last frame
        Assert.All(frames.Skip(1), f => Assert.Equal((byte)0x9, f.Type));
        Assert.Equal(0x4, frames[^1].Flags);
        Assert.All(frames, f => Assert.True(f.Payload.Length <= Http2AuthorityRewriter.DefaultMaxFrameSize));
        var fields = new List<HeaderField>();
        new HpackDecoder().Decode(frames.SelectMany(f => f.Payload).ToArray(), fields);
        Assert.Equal(":authority: 127.0.0.1:2379", HpackTests.Text(fields[0]));
        Assert.Equal(40000, fields[1].Value.Length);
    }

    [Theory]
    [InlineData("http://127.0.0.1:2379", "127.0.0.1:2379")]
    [InlineData("https://[::1]:2379/", "[::1]:2379")]
    [InlineData("unix://sock:0/x", "sock:0")]
    [InlineData("/tmp/dir/localhost:2379", "localhost:2379")] // grpc-go's authority for a unix:// endpoint
    [InlineData("127.0.0.1:2379", null)]
    [InlineData("localhost", null)]
    public void Fixes_only_url_shaped_authorities(string value, string? expected)
    {
        var changed = Http2AuthorityRewriter.TryFixAuthority(HpackTests.Field(":authority", value), out var field);
        Assert.Equal(expected is not null, changed);
        Assert.Equal(":authority: " + (expected ?? value), HpackTests.Text(field));
        Assert.False(Http2AuthorityRewriter.TryFixAuthority(HpackTests.Field("host", "http://a:1"), out _));
    }

    /// <summary>
    /// Preface, SETTINGS, a padded + prioritised HEADERS (stream 1) continued by a CONTINUATION, DATA, and a
    /// HEADERS (stream 3) whose authority is an index into the client's dynamic table.
    /// </summary>
    private static byte[] ClientStream()
    {
        var authority = "http://127.0.0.1:2379"u8.ToArray();
        var block1 = Concat(
            [0x82, 0x86, 0x84, 0x41, (byte)authority.Length], authority, // :authority with incremental indexing
            Convert.FromHexString("400a637573746f6d2d6b65790c637573746f6d2d76616c7565")); // custom-key: custom-value, indexed
        var block2 = new byte[] { 0x83, 0x86, 0x84, 0xbf, 0xbe }; // POST, http, /, :authority (63), custom-key (62)
        var priority = new byte[] { 0x80, 0x00, 0x00, 0x00, 0x10 };
        var headersPayload = Concat([3], priority, block1[..10], [0, 0, 0]);
        return Concat(
            Preface,
            FrameBytes(0x4, 0, 0, [0, 3, 0, 0, 0, 100]),
            FrameBytes(0x1, 0x8 | 0x20, 1, headersPayload),
            FrameBytes(0x9, 0x4, 1, block1[10..]),
            FrameBytes(0x0, 0x1, 1, "hello"u8.ToArray()),
            FrameBytes(0x1, 0x4, 3, block2),
            FrameBytes(0x0, 0x1, 3, new byte[12000]));
    }

    private static void AssertRewritten(byte[] output)
    {
        Assert.Equal(Preface, output[..Preface.Length]);
        var frames = Frames(output);
        Assert.Equal([0x4, 0x1, 0x0, 0x1, 0x0], frames.Select(f => f.Type));
        Assert.Equal(new byte[] { 0, 3, 0, 0, 0, 100 }, frames[0].Payload);

        // Stream 1: padding dropped, priority kept, one frame with END_HEADERS.
        Assert.Equal(0x20 | 0x4, frames[1].Flags);
        Assert.Equal(new byte[] { 0x80, 0x00, 0x00, 0x00, 0x10 }, frames[1].Payload[..5]);
        var server = new HpackDecoder();
        var fields = new List<HeaderField>();
        server.Decode(frames[1].Payload[5..], fields);
        Assert.Equal([":method: GET", ":scheme: http", ":path: /", ":authority: 127.0.0.1:2379", "custom-key: custom-value"], fields.Select(HpackTests.Text));
        Assert.Equal("hello"u8.ToArray(), frames[2].Payload);
        Assert.Equal(0x1, frames[2].Flags);

        // Stream 3: the authority came from the client's dynamic table, which the server never sees.
        fields.Clear();
        server.Decode(frames[3].Payload, fields);
        Assert.Equal([":method: POST", ":scheme: http", ":path: /", ":authority: 127.0.0.1:2379", "custom-key: custom-value"], fields.Select(HpackTests.Text));
        Assert.Equal(0, server.TableCount);
        Assert.Equal(12000, frames[4].Payload.Length);
    }

    /// <summary>Feeds <paramref name="input"/> to the rewriter <paramref name="chunk"/> bytes at a time (0: at once), keeping what it leaves unconsumed.</summary>
    private static byte[] Run(byte[] input, int chunk, Http2AuthorityRewriter rewriter)
    {
        var output = new ArrayBufferWriter<byte>();
        var pending = new List<byte>();
        var step = chunk == 0 ? input.Length : chunk;
        for (var i = 0; i < input.Length; i += step)
        {
            pending.AddRange(input.AsSpan(i, Math.Min(step, input.Length - i)).ToArray());
            var sequence = new ReadOnlySequence<byte>(pending.ToArray());
            var consumed = (int)sequence.Slice(0, rewriter.Process(sequence, output)).Length;
            pending.RemoveRange(0, consumed);
        }
        Assert.Empty(pending);
        return output.WrittenSpan.ToArray();
    }

    private static List<Frame> Frames(byte[] bytes)
    {
        var frames = new List<Frame>();
        var position = bytes.AsSpan(0, Preface.Length).SequenceEqual(Preface) ? Preface.Length : 0;
        while (position < bytes.Length)
        {
            var length = (bytes[position] << 16) | (bytes[position + 1] << 8) | bytes[position + 2];
            var stream = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(position + 5)) & 0x7fffffff;
            frames.Add(new Frame(bytes[position + 3], bytes[position + 4], stream, bytes.AsSpan(position + 9, length).ToArray()));
            position += 9 + length;
        }
        return frames;
    }

    private static byte[] FrameBytes(byte type, byte flags, uint stream, byte[] payload, bool allowLarge = false)
    {
        Assert.True(allowLarge || payload.Length <= Http2AuthorityRewriter.DefaultMaxFrameSize || type == 0);
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(5), stream);
        payload.CopyTo(frame, 9);
        return frame;
    }

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
