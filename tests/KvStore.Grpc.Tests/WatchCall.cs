using System.Threading.Channels;
using Etcdserverpb;
using Grpc.Core;

namespace KvStore.Grpc.Tests;

/// <summary>A client watch stream whose responses are pumped into a queue, so a test can wait for one or for none.</summary>
public sealed class WatchCall : IAsyncDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly AsyncDuplexStreamingCall<WatchRequest, WatchResponse> _call;
    private readonly Channel<WatchResponse> _responses = Channel.CreateUnbounded<WatchResponse>();
    private readonly Task _pump;

    public WatchCall(Watch.WatchClient client, Metadata? headers = null)
    {
        _call = client.Watch(headers, cancellationToken: _cts.Token);
        _pump = PumpAsync();
    }

    private async Task PumpAsync()
    {
        try
        {
            await foreach (WatchResponse r in _call.ResponseStream.ReadAllAsync(_cts.Token)) await _responses.Writer.WriteAsync(r);
            _responses.Writer.TryComplete();
        }
        catch (Exception e)
        {
            _responses.Writer.TryComplete(e);
        }
    }

    public Task SendAsync(WatchRequest request) => _call.RequestStream.WriteAsync(request);

    public Task CreateAsync(WatchCreateRequest create) => SendAsync(new WatchRequest { CreateRequest = create });

    public Task CancelAsync(long id) => SendAsync(new WatchRequest { CancelRequest = new WatchCancelRequest { WatchId = id } });

    public Task RequestProgressAsync() => SendAsync(new WatchRequest { ProgressRequest = new WatchProgressRequest() });

    public async Task<WatchResponse> NextAsync(int timeoutMs = 10_000)
    {
        using var timeout = new CancellationTokenSource(timeoutMs);
        return await _responses.Reader.ReadAsync(timeout.Token);
    }

    /// <summary>Creates a watcher and returns its created response.</summary>
    public async Task<WatchResponse> WatchAsync(WatchCreateRequest create)
    {
        await CreateAsync(create);
        WatchResponse created = await NextAsync();
        Assert.True(created.Created);
        return created;
    }

    /// <summary>Asserts that no response arrives within the time given.</summary>
    public async Task NothingWithinAsync(int ms)
    {
        await Task.Delay(ms);
        Assert.False(_responses.Reader.TryRead(out WatchResponse? r), $"unexpected response {r}");
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync();
        try { await _pump; } catch (OperationCanceledException) { }
        _call.Dispose();
        _cts.Dispose();
    }
}
