using System.Threading.Channels;
using Etcdserverpb;
using Grpc.Core;
using KvStore.Mvcc;
using KvStore.Mvcc.Watch;
using KvStore.Server;
using Microsoft.Extensions.Logging;

namespace KvStore.Grpc;

/// <summary>
/// One gRPC watch stream (etcd's serverWatchStream): the receive loop reads the client's requests into a bounded
/// channel; the send loop alone owns the engine's watch stream: it carries out each request (create, cancel,
/// progress) and forwards the engine's responses, so a watcher's created response always precedes its events.
/// Both end when the call is cancelled.
/// </summary>
internal sealed class ServerWatchStream(IEtcdServer server, ServerCallContext context, IServerStreamWriter<WatchResponse> writer,
    int maxResponseBytes, TimeSpan progressInterval, ILogger logger)
{
    /// <summary>etcd's ctrlStreamBufLen: requests waiting for the send loop.</summary>
    private const int RequestQueueLength = 16;

    /// <summary>Engine responses sent before the send loop looks at requests again.</summary>
    private const int ResponseBurst = 64;

    private readonly Channel<WatchRequest> _requests = Channel.CreateBounded<WatchRequest>(
        new BoundedChannelOptions(RequestQueueLength) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

    /// <summary>Options of the live watchers by id. Send loop only.</summary>
    private readonly Dictionary<long, WatcherState> _watchers = new();

    private sealed class WatcherState(bool progressNotify, bool fragment)
    {
        public readonly bool ProgressNotify = progressNotify;
        public readonly bool Fragment = fragment;

        /// <summary>etcd's progress[id]: no event was sent since the last tick, so the next one sends progress.</summary>
        public bool ProgressDue = true;
    }

    public async Task RunAsync(IAsyncStreamReader<WatchRequest> requests, CancellationToken callToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(callToken);
        using WatchStream watches = server.NewWatchStream();
        Task send = SendLoopAsync(watches, cts.Token);
        Task receive = ReceiveLoopAsync(requests, cts.Token);
        try
        {
            Task first = await Task.WhenAny(send, receive).ConfigureAwait(false);
            // A client that closed its side still gets events until it cancels the call (as etcd).
            if (first == receive && receive.IsCompletedSuccessfully) first = send;
            await first.ConfigureAwait(false);
        }
        catch (Exception e) when (callToken.IsCancellationRequested)
        {
            Log.WatchStreamClosed(logger, e.GetType().Name);
        }
        finally
        {
            cts.Cancel();
            watches.Dispose();
            await Task.WhenAll(send, receive).ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    private async Task ReceiveLoopAsync(IAsyncStreamReader<WatchRequest> requests, CancellationToken ct)
    {
        try
        {
            while (await requests.MoveNext(ct).ConfigureAwait(false))
            {
                WatchRequest request = requests.Current;
                // etcd ignores a request of a kind it does not know rather than ending the stream.
                if (request.RequestUnionCase == WatchRequest.RequestUnionOneofCase.None) continue;
                await _requests.Writer.WriteAsync(request, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            _requests.Writer.TryComplete();
        }
    }

    private async Task SendLoopAsync(WatchStream watches, CancellationToken ct)
    {
        using var ticker = new PeriodicTimer(progressInterval);
        Task never = new TaskCompletionSource().Task;
        Task<WatchResponse>? next = null; // a pending read of the engine stream; no TryRead while it runs
        Task<bool>? request = null;
        Task<bool>? tick = null;
        bool requestsOpen = true;
        while (true)
        {
            while (_requests.Reader.TryRead(out WatchRequest? r)) await HandleAsync(watches, r, ct).ConfigureAwait(false);
            if (next is null)
            {
                int sent = 0;
                while (sent < ResponseBurst && watches.TryRead(out WatchResponse response))
                {
                    await SendAsync(response, ct).ConfigureAwait(false);
                    sent++;
                }
                if (sent == ResponseBurst) continue;
                next = watches.ReadAsync(ct).AsTask();
            }
            if (request is null && requestsOpen) request = _requests.Reader.WaitToReadAsync(ct).AsTask();
            tick ??= ticker.WaitForNextTickAsync(ct).AsTask();

            await Task.WhenAny(next, request ?? never, tick).ConfigureAwait(false);
            if (next.IsCompleted)
            {
                WatchResponse response = await next.ConfigureAwait(false);
                next = null;
                await SendAsync(response, ct).ConfigureAwait(false);
            }
            if (request is { IsCompleted: true })
            {
                requestsOpen = await request.ConfigureAwait(false);
                request = null;
            }
            if (tick.IsCompleted)
            {
                await tick.ConfigureAwait(false);
                tick = null;
                RequestProgressNotifications(watches);
            }
        }
    }

    /// <summary>etcd's recvLoop request handling, run on the send loop.</summary>
    private async Task HandleAsync(WatchStream watches, WatchRequest request, CancellationToken ct)
    {
        switch (request.RequestUnionCase)
        {
            case WatchRequest.RequestUnionOneofCase.CreateRequest:
                await CreateAsync(watches, request.CreateRequest, ct).ConfigureAwait(false);
                break;
            case WatchRequest.RequestUnionOneofCase.CancelRequest:
                long id = request.CancelRequest.WatchId;
                if (!watches.Cancel(id)) break; // etcd answers nothing for an unknown id
                _watchers.Remove(id);
                await WriteAsync(new WatchResponse { Header = CurrentHeader(), WatchId = id, Canceled = true }, ct).ConfigureAwait(false);
                break;
            case WatchRequest.RequestUnionOneofCase.ProgressRequest:
                // etcd 3.5: one response with watch id -1 at the current revision if every watcher is synced, queued
                // by the engine behind the events already due; nothing otherwise (the client asks again).
                watches.RequestProgressAll();
                break;
        }
    }

    private async Task CreateAsync(WatchStream watches, WatchCreateRequest create, CancellationToken ct)
    {
        if (create.StartRevision < 0)
        {
            // etcd 3.5: a negative start revision is refused as compacted.
            await WriteAsync(Refused(ErrorTable.CancelReason(MvccError.Compacted)), ct).ConfigureAwait(false);
            return;
        }
        MvccError denied = server.WatchPermission(create, server.CallerOf(context)); // etcd resolves the token at each create
        if (denied != MvccError.None)
        {
            // etcd's isWatchPermitted: a refused create, reason the gRPC error "invalid auth token", "revision of auth
            // store is old", "user name is empty", or else "permission denied", as the status error's own text.
            MvccError reason = denied is MvccError.AuthInvalidToken or MvccError.AuthOldRevision or MvccError.AuthUserEmpty
                ? denied : MvccError.AuthPermissionDenied;
            await WriteAsync(Refused(ErrorTable.StatusErrorText(reason)), ct).ConfigureAwait(false);
            return;
        }
        // etcd: an empty key is "\0", the smallest key; range_end as the client sent it (empty: the key alone, "\0": every key from it).
        ReadOnlySpan<byte> key = create.Key.IsEmpty ? [0] : create.Key.Span;
        var options = new WatchOptions(
            PrevKv: create.PrevKv,
            NoPut: create.Filters.Contains(WatchCreateRequest.Types.FilterType.Noput),
            NoDelete: create.Filters.Contains(WatchCreateRequest.Types.FilterType.Nodelete));
        MvccResult<WatchCreated> result = watches.Watch(key, create.RangeEnd.Span, create.StartRevision, options, create.WatchId);
        if (result.Response is not { } created)
        {
            await WriteAsync(Refused(ErrorTable.CancelReason(result.Error)), ct).ConfigureAwait(false);
            return;
        }
        _watchers[created.WatchId] = new WatcherState(create.ProgressNotify, create.Fragment);
        await WriteAsync(new WatchResponse { Header = CurrentHeader(), WatchId = created.WatchId, Created = true }, ct).ConfigureAwait(false);
    }

    /// <summary>etcd's answer to a create it refuses: watch id -1, created and canceled, with the reason.</summary>
    private WatchResponse Refused(string reason) =>
        new() { Header = CurrentHeader(), WatchId = -1, Created = true, Canceled = true, CancelReason = reason };

    /// <summary>etcd's progress ticker: every watcher that asked for progress and got no event since the last tick.</summary>
    private void RequestProgressNotifications(WatchStream watches)
    {
        foreach ((long id, WatcherState state) in _watchers)
        {
            if (!state.ProgressNotify) continue;
            if (state.ProgressDue) watches.RequestProgress(id);
            state.ProgressDue = true;
        }
    }

    /// <summary>Forwards one engine response: this member's header, canceled when compacted, fragmented on request.</summary>
    private async Task SendAsync(WatchResponse response, CancellationToken ct)
    {
        WatcherState? state = null;
        // -1: a progress response for the whole stream. An unknown id: a watcher cancelled while this was queued.
        if (response.WatchId != -1 && !_watchers.TryGetValue(response.WatchId, out state)) return;
        long revision = response.Header?.Revision ?? 0;
        response.Header = server.Header(revision);
        response.Header.Revision = revision; // a compaction notice carries revision 0, as etcd's
        if (response.CompactRevision != 0)
        {
            response.Canceled = true;
            _watchers.Remove(response.WatchId);
        }
        if (state is { Fragment: true }) await WatchFragments.SendAsync(response, maxResponseBytes, writer, ct).ConfigureAwait(false);
        else await WriteAsync(response, ct).ConfigureAwait(false);
        if (state is not null && response.Events.Count > 0) state.ProgressDue = false;
    }

    private Task WriteAsync(WatchResponse response, CancellationToken ct) => writer.WriteAsync(response, ct);

    private ResponseHeader CurrentHeader() => server.Header(server.CurrentRevision);
}
