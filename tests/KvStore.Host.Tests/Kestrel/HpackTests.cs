using System.Buffers;
using System.Text;
using KvStore.Host.Kestrel.Hpack;

namespace KvStore.Host.Tests.Kestrel;

/// <summary>The HPACK decoder and encoder against RFC 7541 Appendix C.</summary>
public sealed class HpackTests
{
    // RFC 7541 C.3 (requests, raw strings) and C.4 (the same requests, Huffman strings), decoded on one
    // connection: each step lists its block, its fields, and the dynamic table size after it.
    public static TheoryData<string, string[]> RequestSequences => new()
    {
        {
            "C.3",
            [
                "828684410f7777772e6578616d706c652e636f6d",
                "828684be58086e6f2d6361636865",
                "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565",
            ]
        },
        {
            "C.4",
            [
                "828684418cf1e3c2e5f23a6ba0ab90f4ff",
                "828684be5886a8eb10649cbf",
                "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf",
            ]
        },
    };

    private static readonly string[][] RequestFields =
    [
        [":method: GET", ":scheme: http", ":path: /", ":authority: www.example.com"],
        [":method: GET", ":scheme: http", ":path: /", ":authority: www.example.com", "cache-control: no-cache"],
        [":method: GET", ":scheme: https", ":path: /index.html", ":authority: www.example.com", "custom-key: custom-value"],
    ];

    private static readonly int[] RequestTableSizes = [57, 110, 164];

    [Theory]
    [MemberData(nameof(RequestSequences))]
    public void Decoder_follows_the_rfc_request_examples(string section, string[] blocks)
    {
        var decoder = new HpackDecoder();
        for (var i = 0; i < blocks.Length; i++)
        {
            var fields = new List<HeaderField>();
            decoder.Decode(Convert.FromHexString(blocks[i]), fields);
            Assert.True(RequestFields[i].SequenceEqual(fields.Select(Text)), $"{section}.{i + 1}: {string.Join(", ", fields.Select(Text))}");
            Assert.Equal(RequestTableSizes[i], decoder.TableSize);
        }
        Assert.Equal(3, decoder.TableCount);
    }

    [Theory]
    [MemberData(nameof(RequestSequences))]
    public void Scanning_decoder_keeps_the_same_table_and_puts_it_back_on_a_match(string section, string[] blocks)
    {
        var decoder = new HpackDecoder();
        for (var i = 0; i < blocks.Length; i++)
        {
            var block = Convert.FromHexString(blocks[i]);
            // A match (the authority, from the block or the table, Huffman or raw) leaves the table as it was ...
            var seen = new List<string>();
            Assert.False(decoder.TryDecodeUnmatched(block, ":authority"u8, v =>
            {
                seen.Add(Encoding.ASCII.GetString(v));
                return v.SequenceEqual("www.example.com"u8);
            }), section);
            Assert.Equal(["www.example.com"], seen);
            Assert.Equal(i == 0 ? 0 : RequestTableSizes[i - 1], decoder.TableSize);
            // ... no match decodes the block into the table as Decode would.
            Assert.True(decoder.TryDecodeUnmatched(block, ":authority"u8, _ => false), section);
            Assert.Equal(RequestTableSizes[i], decoder.TableSize);
        }
        var fields = new List<HeaderField>();
        decoder.Decode(Convert.FromHexString("be"), fields); // the newest entry, as C.3.3/C.4.3 left it
        Assert.Equal(["custom-key: custom-value"], fields.Select(Text));
    }

    [Fact]
    public void Scanning_decoder_reads_literals_that_are_not_indexed()
    {
        var output = new ArrayBufferWriter<byte>();
        HpackEncoder.Encode([Field(":authority", "http://a:1"), Field("user-agent", "x")], output);
        var decoder = new HpackDecoder();
        Assert.False(decoder.TryDecodeUnmatched(output.WrittenSpan, ":authority"u8, v => v.IndexOf("://"u8) > 0));
        Assert.True(decoder.TryDecodeUnmatched(output.WrittenSpan, ":path"u8, _ => true));
        Assert.Equal(0, decoder.TableCount);
        Assert.Throws<HpackDecodingException>(() => decoder.TryDecodeUnmatched([0x00, 0x05, 0x61], ":authority"u8, _ => true));
    }

    [Fact]
    public void Decoder_evicts_oldest_entries_as_in_rfc_c5()
    {
        // C.5.1 and C.5.2: responses with a 256-byte table; the second evicts ":status: 302".
        var decoder = new HpackDecoder(256);
        var fields = new List<HeaderField>();
        decoder.Decode(Convert.FromHexString(
            "4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31333a323120474d54" +
            "6e1768747470733a2f2f7777772e6578616d706c652e636f6d"), fields);
        Assert.Equal(222, decoder.TableSize);
        Assert.Equal(4, decoder.TableCount);
        fields.Clear();
        decoder.Decode(Convert.FromHexString("4803333037c1c0bf"), fields);
        Assert.Equal(
            [":status: 307", "cache-control: private", "date: Mon, 21 Oct 2013 20:13:21 GMT", "location: https://www.example.com"],
            fields.Select(Text));
        Assert.Equal(222, decoder.TableSize);
        Assert.Equal(4, decoder.TableCount);
    }

    [Fact]
    public void Decoder_applies_size_updates_and_rejects_bad_blocks()
    {
        var decoder = new HpackDecoder();
        decoder.Decode(Convert.FromHexString("828684410f7777772e6578616d706c652e636f6d"), []);
        Assert.Equal(1, decoder.TableCount);
        decoder.Decode(Convert.FromHexString("20"), []); // size update to 0 empties the table
        Assert.Equal(0, decoder.TableCount);
        Assert.Equal(0, decoder.TableSize);
        Assert.Throws<HpackDecodingException>(() => decoder.Decode(Convert.FromHexString("be"), [])); // no entry 62
        Assert.Throws<HpackDecodingException>(() => decoder.Decode(Convert.FromHexString("80"), [])); // index 0
        Assert.Throws<HpackDecodingException>(() => decoder.Decode(Convert.FromHexString("3fe21f"), [])); // 4097 > 4096
        Assert.Throws<HpackDecodingException>(() => decoder.Decode(Convert.FromHexString("8220"), [])); // update after a field
        Assert.Throws<HpackDecodingException>(() => decoder.Decode(Convert.FromHexString("410f7777"), [])); // truncated
        Assert.Throws<HpackDecodingException>(() => decoder.Decode(Convert.FromHexString("0081ff0100"), [])); // Huffman padding too long
    }

    [Fact]
    public void Encoder_writes_literals_without_indexing_as_in_rfc_c2()
    {
        var output = new ArrayBufferWriter<byte>();
        HpackEncoder.Encode([Field(":path", "/sample/path")], output);
        Assert.Equal("040c2f73616d706c652f70617468", Convert.ToHexString(output.WrittenSpan).ToLowerInvariant()); // C.2.2
        output.ResetWrittenCount();
        HpackEncoder.Encode([Field(":method", "GET")], output);
        Assert.Equal("82", Convert.ToHexString(output.WrittenSpan).ToLowerInvariant()); // C.2.4
        output.ResetWrittenCount();
        HpackEncoder.Encode([new HeaderField(Bytes("password"), Bytes("secret"), NeverIndexed: true)], output);
        Assert.Equal("100870617373776f726406736563726574", Convert.ToHexString(output.WrittenSpan).ToLowerInvariant()); // C.2.3
    }

    [Theory]
    [MemberData(nameof(RequestSequences))]
    public void Reencoded_blocks_decode_to_the_same_fields_and_leave_the_receiver_table_empty(string section, string[] blocks)
    {
        var client = new HpackDecoder();
        var server = new HpackDecoder();
        foreach (var block in blocks)
        {
            var fields = new List<HeaderField>();
            client.Decode(Convert.FromHexString(block), fields);
            var output = new ArrayBufferWriter<byte>();
            HpackEncoder.Encode(fields, output);
            var decoded = new List<HeaderField>();
            server.Decode(output.WrittenSpan, decoded);
            Assert.Equal(fields.Select(Text), decoded.Select(Text));
            Assert.True(server.TableCount == 0, section);
        }
        // A long value needs a multi-byte length.
        var longField = Field("x-long", new string('v', 300));
        var writer = new ArrayBufferWriter<byte>();
        HpackEncoder.Encode([longField], writer);
        var back = new List<HeaderField>();
        server.Decode(writer.WrittenSpan, back);
        Assert.Equal(Text(longField), Text(Assert.Single(back)));
    }

    internal static string Text(HeaderField field) => Encoding.ASCII.GetString(field.Name) + ": " + Encoding.ASCII.GetString(field.Value);

    internal static HeaderField Field(string name, string value) => new(Bytes(name), Bytes(value));

    private static byte[] Bytes(string text) => Encoding.ASCII.GetBytes(text);
}
