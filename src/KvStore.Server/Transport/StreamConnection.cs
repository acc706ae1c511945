using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace KvStore.Server.Transport;

/// <summary>
/// An outgoing connection to a member's peer port as DotNext's Raft client uses it: pipes over the socket's
/// stream (a TLS stream with peer TLS). The writer's buffers are at least <see cref="BlockSize"/> bytes, the block
/// DotNext's TCP transport sends without waiting (its TransmissionBlockSize default).
/// </summary>
internal sealed class StreamConnection : ConnectionContext
{
    public const int BlockSize = 65535;

    private readonly Stream _stream;
    private readonly CancellationTokenSource _closed = new();
    private readonly Action? _ended;

    /// <param name="ended">Called once when the connection is aborted or disposed.</param>
    public StreamConnection(Stream stream, EndPoint? local, EndPoint? remote, Action? ended = null)
    {
        _stream = stream;
        _ended = ended;
        LocalEndPoint = local;
        RemoteEndPoint = remote;
        ConnectionClosed = _closed.Token;
        Transport = new DuplexPipe(
            PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: BlockSize, leaveOpen: true)),
            PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: BlockSize, leaveOpen: true)));
    }

    public override string ConnectionId { get; set; } = Guid.NewGuid().ToString("N");
    public override IFeatureCollection Features { get; } = new FeatureCollection();
    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();
    public override IDuplexPipe Transport { get; set; }
    public override CancellationToken ConnectionClosed { get; set; }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        if (Interlocked.Exchange(ref _ending, 1) != 0) return;
        _ended?.Invoke();
        _closed.Cancel();
        _stream.Dispose();
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _ending, 1) == 0)
        {
            _ended?.Invoke();
            try
            {
                await Transport.Output.CompleteAsync().ConfigureAwait(false); // sends what is buffered
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
            {
                // the other side is gone
            }
            await _stream.DisposeAsync().ConfigureAwait(false);
            _closed.Cancel();
        }
        await Transport.Input.CompleteAsync().ConfigureAwait(false);
        _closed.Dispose();
    }

    private int _ending;

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }
}
