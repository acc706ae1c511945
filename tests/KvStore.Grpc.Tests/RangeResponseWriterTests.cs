using System.Buffers;
using System.IO.Pipelines;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Mvccpb;
using static KvStore.Grpc.Tests.GrpcHost;

namespace KvStore.Grpc.Tests;

/// <summary>
/// <see cref="RangeResponseWriter"/>: a Range's answer written to the response pipe a part at a time, with the bytes
/// RangeResponse.WriteTo writes; and that the gRPC edge binds KV.Range with it.
/// </summary>
public sealed class RangeResponseWriterTests(KvFixture fixture) : IClassFixture<KvFixture>
{
    private static RangeResponse Answer(int kvs, int valueSize)
    {
        var response = new RangeResponse
        {
            Header = new ResponseHeader { ClusterId = 7, MemberId = 9, Revision = kvs + 1, RaftTerm = 3 }, More = true, Count = kvs + 10,
        };
        for (int i = 0; i < kvs; i++)
        {
            response.Kvs.Add(new KeyValue
            {
                Key = B($"range/{i:D6}"), Value = ByteString.CopyFrom(new byte[valueSize]), CreateRevision = i + 1, ModRevision = i + 1,
                Version = 1, Lease = i % 3,
            });
        }
        return response;
    }

    /// <summary>Serializes through the marshaller into a pipe read meanwhile; returns the bytes and the most the pipe held unread.</summary>
    private static async Task<(byte[] Bytes, long MostUnread)> SerializeAsync(RangeResponse response)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024));
        Task<(byte[], long)> reading = Task.Run(async () =>
        {
            var bytes = new MemoryStream();
            long most = 0;
            while (true)
            {
                ReadResult read = await pipe.Reader.ReadAsync();
                most = Math.Max(most, read.Buffer.Length);
                foreach (ReadOnlyMemory<byte> segment in read.Buffer) bytes.Write(segment.Span);
                pipe.Reader.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted) return (bytes.ToArray(), most);
            }
        });
        await Task.Run(() =>
        {
            RangeResponseWriter.Marshaller.ContextualSerializer(response, new PipeContext(pipe.Writer));
            return pipe.Writer.CompleteAsync();
        });
        return await reading;
    }

    [Fact]
    public async Task ABigAnswerIsWrittenInPartsWithWriteTosBytes()
    {
        RangeResponse response = Answer(6_000, 400); // about 2.5 MB
        Assert.True(response.CalculateSize() > 2 * RangeResponseWriter.FlushEvery);
        (byte[] bytes, long mostUnread) = await SerializeAsync(response);
        Assert.Equal(response.ToByteArray(), bytes);
        Assert.True(mostUnread <= RangeResponseWriter.FlushEvery + 1024, $"the pipe held {mostUnread} bytes unread at once");
        Assert.Equal(response, RangeResponse.Parser.ParseFrom(bytes));
    }

    [Fact]
    public async Task ASmallAnswerAndOneWithFieldsRangeResponseDoesNotKnowAreWrittenWhole()
    {
        RangeResponse small = Answer(10, 10);
        (byte[] smallBytes, long smallUnread) = await SerializeAsync(small);
        Assert.Equal(small.ToByteArray(), smallBytes);
        Assert.Equal(smallBytes.Length, smallUnread);

        // Field 99 (varint 5) after the known fields: kept as an unknown field and written back by WriteTo only.
        byte[] withUnknown = [.. Answer(6_000, 400).ToByteArray(), 0x98, 0x06, 0x05];
        RangeResponse parsed = RangeResponse.Parser.ParseFrom(withUnknown);
        (byte[] bytes, _) = await SerializeAsync(parsed);
        Assert.Equal(withUnknown, bytes);
    }

    [Fact]
    public void TheGrpcEdgeWritesRangeWithTheWriterAndEveryOtherAnswerAsGenerated()
    {
        var binder = new RecordingBinder();
        KV.BindService(binder, null);
        Assert.Equal(["Range", "Put", "DeleteRange", "Txn", "Compact"], binder.Methods.Select(m => m.Method.Name));
        Assert.Same(RangeResponseWriter.Marshaller, binder.Methods[0].Marshaller);
        Assert.All(binder.Methods.Skip(1), m => Assert.NotSame(RangeResponseWriter.Marshaller, m.Marshaller));
    }

    [Fact]
    public async Task ARangeOverMegabytesThroughGrpcAnswersEveryKeyValue()
    {
        GrpcHost h = fixture.Host;
        string value = new('v', 400);
        await Task.WhenAll(Enumerable.Range(0, 4_000).Select(i => h.PutAsync($"bigrange/{i:D5}", value)));
        RangeResponse r = await h.Kv.RangeAsync(new RangeRequest { Key = B("bigrange/"), RangeEnd = B("bigrange0"), Limit = 3_999 });
        Assert.True(r.CalculateSize() > RangeResponseWriter.FlushEvery);
        Assert.Equal(Enumerable.Range(0, 3_999).Select(i => $"bigrange/{i:D5}"), r.Kvs.Select(kv => kv.Key.ToStringUtf8()));
        Assert.All(r.Kvs, kv => Assert.Equal(value, kv.Value.ToStringUtf8()));
        Assert.True(r.More);
        Assert.Equal(4_000, r.Count);
        Assert.Equal(h.Server.MemberId, r.Header.MemberId);
    }

    private sealed class PipeContext(PipeWriter writer) : SerializationContext
    {
        public override void SetPayloadLength(int payloadLength) { }
        public override IBufferWriter<byte> GetBufferWriter() => writer;
        public override void Complete() { }
        public override void Complete(byte[] payload) => writer.Write(payload);
    }

    private sealed class RecordingBinder : ServiceBinderBase
    {
        public List<(IMethod Method, object Marshaller)> Methods { get; } = [];

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler) =>
            Methods.Add((method, RangeResponseWriter.For(method)));
    }
}
