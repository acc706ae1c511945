using System.Buffers;
using System.IO.Pipelines;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace KvStore.Grpc;

/// <summary>
/// Writes a Range's answer to the gRPC response a part at a time. Grpc.AspNetCore serializes a unary answer whole into
/// Kestrel's response pipe and flushes it once, so a big range held a second copy of its key-values there until the
/// client had read them all; an answer of at least <see cref="FlushEvery"/> bytes is flushed every that many bytes
/// instead, so the pipe holds one part (Kestrel holds the writer until the client has read most of it). Same bytes
/// as <c>RangeResponse.WriteTo</c>, in its field order (RangeResponseWriterTests).
/// </summary>
internal static class RangeResponseWriter
{
    /// <summary>The part flushed at a time, and the least answer written in parts.</summary>
    public const int FlushEvery = 1 << 20;

    /// <summary>The response marshaller of KV.Range on the gRPC edge.</summary>
    public static readonly Marshaller<RangeResponse> Marshaller =
        Marshallers.Create(Serialize, context => RangeResponse.Parser.ParseFrom(context.PayloadAsReadOnlySequence()));

    /// <summary>
    /// The response marshaller the gRPC edge binds <paramref name="method"/> with (EtcdRequestDecoding): this one for
    /// KV.Range, the generated one for every other method. The in-process invoker and the JSON gateway hand messages
    /// over without serializing them.
    /// </summary>
    public static Marshaller<TResponse> For<TRequest, TResponse>(Method<TRequest, TResponse> method) =>
        method is Method<RangeRequest, RangeResponse> { FullName: "/etcdserverpb.KV/Range" }
            ? (Marshaller<TResponse>)(object)Marshaller
            : method.ResponseMarshaller;

    private static void Serialize(RangeResponse response, SerializationContext context)
    {
        int size = response.CalculateSize();
        context.SetPayloadLength(size);
        IBufferWriter<byte> writer = context.GetBufferWriter();
        // Another writer is a buffer of gRPC's own (a compressed answer): it holds the whole answer anyway. The fields
        // RangeResponse keeps without knowing them only its own WriteTo writes: ours has none, the size tells.
        if (size < FlushEvery || writer is not PipeWriter pipe || size != KnownFieldsSize(response)) response.WriteTo(writer);
        else WriteInParts(response, pipe);
        context.Complete();
    }

    /// <summary>
    /// The fields in RangeResponse's order (header, kvs, more, count), flushed every <see cref="FlushEvery"/> bytes.
    /// A marshaller is synchronous, so a thread-pool thread waits here while the client reads the answer (the pool
    /// adds threads for other work meanwhile): one per big range in flight, in place of a copy of its answer.
    /// </summary>
    private static void WriteInParts(RangeResponse response, PipeWriter pipe)
    {
        if (response.Header is { } header) WriteMessage(pipe, 1, header);
        long unflushed = 0;
        foreach (Mvccpb.KeyValue kv in response.Kvs)
        {
            unflushed += WriteMessage(pipe, 2, kv);
            if (unflushed < FlushEvery) continue;
            FlushResult flushed = pipe.FlushAsync().AsTask().GetAwaiter().GetResult();
            if (flushed.IsCompleted || flushed.IsCanceled) throw new RpcException(new Status(StatusCode.Cancelled, "client went away"));
            unflushed = 0;
        }
        if (response.More) WriteVarintField(pipe, 3, 1);
        if (response.Count != 0) WriteVarintField(pipe, 4, (ulong)response.Count);
    }

    /// <summary>Tag, length and the message; returns the bytes written.</summary>
    private static int WriteMessage(PipeWriter pipe, int field, IMessage message)
    {
        int length = message.CalculateSize();
        Varint.Write(pipe, (ulong)(field << 3 | 2));
        Varint.Write(pipe, (ulong)length);
        message.WriteTo(pipe);
        return CodedOutputStream.ComputeTagSize(field) + CodedOutputStream.ComputeLengthSize(length) + length;
    }

    private static void WriteVarintField(PipeWriter pipe, int field, ulong value)
    {
        Varint.Write(pipe, (ulong)(field << 3));
        Varint.Write(pipe, value);
    }

    /// <summary>The size of the four fields <see cref="WriteInParts"/> writes.</summary>
    private static long KnownFieldsSize(RangeResponse response)
    {
        long size = response.Header is { } header ? 1 + CodedOutputStream.ComputeMessageSize(header) : 0;
        foreach (Mvccpb.KeyValue kv in response.Kvs) size += 1 + CodedOutputStream.ComputeMessageSize(kv);
        if (response.More) size += 2;
        if (response.Count != 0) size += 1 + CodedOutputStream.ComputeInt64Size(response.Count);
        return size;
    }
}
