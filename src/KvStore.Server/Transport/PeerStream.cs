using System.Collections.Concurrent;
using Grpc.Core;
using Kvstorepb;

namespace KvStore.Server.Transport;

/// <summary>
/// A question asked of another member many times a second (forward.proto's ConfirmLeaderStream, ReadIndexStream):
/// one long-lived call carries every question, each matched to its answer by <see cref="ISequenced.Seq"/>. A unary
/// call per question cost an HTTP/2 stream, headers and a deadline timer on both sides, more than the answer. A
/// broken call gives its open questions up (null) and the next question opens a new call; a member that does not
/// serve the stream (the previous version) is asked with the unary call from then on.
/// </summary>
/// <param name="open">Opens the stream call with these headers.</param>
/// <param name="unary">The unary form of the question (headers, deadline, token).</param>
/// <param name="headers">The headers every call between members carries.</param>
/// <param name="stopping">Cancelled when the member stops: ends the call.</param>
internal sealed class PeerStream<TRequest, TResponse>(
    Func<Metadata, CancellationToken, AsyncDuplexStreamingCall<TRequest, TResponse>> open,
    Func<TRequest, Metadata, DateTime, CancellationToken, AsyncUnaryCall<TResponse>> unary,
    Func<Metadata> headers, CancellationToken stopping)
    where TRequest : class, ISequenced
    where TResponse : class, ISequenced
{
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<TResponse?>> _open = new();
    private readonly SemaphoreSlim _writer = new(1, 1); // a gRPC request stream takes one write at a time
    private readonly Lock _lock = new();
    private AsyncDuplexStreamingCall<TRequest, TResponse>? _call;
    private long _seq;
    private bool _unary;

    /// <summary>The member's answer to <paramref name="request"/>; null when the call broke or <paramref name="token"/> was cancelled.</summary>
    public async Task<TResponse?> AskAsync(TRequest request, DateTime deadline, CancellationToken token)
    {
        if (Volatile.Read(ref _unary)) return await AskUnaryAsync(request, deadline, token).ConfigureAwait(false);
        ulong seq = (ulong)Interlocked.Increment(ref _seq);
        request.Seq = seq;
        var answer = new TaskCompletionSource<TResponse?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _open[seq] = answer;
        using CancellationTokenRegistration giveUp = token.UnsafeRegister(static (state, _) =>
        {
            var (self, seq) = ((PeerStream<TRequest, TResponse>, ulong))state!;
            if (self._open.TryRemove(seq, out var question)) question.TrySetResult(null);
        }, (this, seq));
        AsyncDuplexStreamingCall<TRequest, TResponse>? call = null;
        try
        {
            call = Call();
            await _writer.WaitAsync(token).ConfigureAwait(false);
            try
            {
                await call.RequestStream.WriteAsync(request, token).ConfigureAwait(false);
            }
            finally
            {
                _writer.Release();
            }
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
        {
            if (call is null)
            {
                _open.TryRemove(seq, out _); // no call could be opened (the channel is gone): no answer
                return null;
            }
            if (!token.IsCancellationRequested) Broken(call);
        }
        return await answer.Task.ConfigureAwait(false);
    }

    private async Task<TResponse?> AskUnaryAsync(TRequest request, DateTime deadline, CancellationToken token)
    {
        try
        {
            return await unary(request, headers(), deadline, token).ResponseAsync.ConfigureAwait(false);
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The open call, or a new one with its reader started.</summary>
    private AsyncDuplexStreamingCall<TRequest, TResponse> Call()
    {
        lock (_lock)
        {
            if (_call is { } current) return current;
            AsyncDuplexStreamingCall<TRequest, TResponse> call = open(headers(), stopping);
            _call = call;
            _ = ReadAsync(call);
            return call;
        }
    }

    private async Task ReadAsync(AsyncDuplexStreamingCall<TRequest, TResponse> call)
    {
        try
        {
            while (await call.ResponseStream.MoveNext(stopping).ConfigureAwait(false))
            {
                TResponse response = call.ResponseStream.Current;
                if (_open.TryRemove(response.Seq, out var question)) question.TrySetResult(response);
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
        {
            Volatile.Write(ref _unary, true);
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
        {
        }
        Broken(call);
    }

    /// <summary>Drops a broken call: its open questions get no answer (null); the next question opens a new call.</summary>
    private void Broken(AsyncDuplexStreamingCall<TRequest, TResponse> call)
    {
        lock (_lock)
        {
            if (!ReferenceEquals(_call, call)) return;
            _call = null;
        }
        call.Dispose();
        // A question asked on the next call meanwhile is given up too: its asker tries again, as after any lost answer.
        foreach (ulong seq in _open.Keys)
        {
            if (_open.TryRemove(seq, out var question)) question.TrySetResult(null);
        }
    }
}
