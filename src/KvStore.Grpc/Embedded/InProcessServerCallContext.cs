using Grpc.Core;

namespace KvStore.Grpc.Embedded;

/// <summary>The call context an in-process call hands to a service: the caller's headers, deadline and cancellation.</summary>
internal sealed class InProcessServerCallContext : ServerCallContext
{
    private readonly CancellationTokenSource _cancel;
    private readonly string _method;
    private readonly CallOptions _options;

    public InProcessServerCallContext(string method, CallOptions options)
    {
        _method = method;
        _options = options;
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken);
        if (options.Deadline is { } deadline && deadline != DateTime.MaxValue)
        {
            TimeSpan left = deadline.ToUniversalTime() - DateTime.UtcNow;
            _cancel.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }
    }

    public void Cancel() => _cancel.Cancel();

    private readonly Metadata _trailers = new();
    private Status _status = Status.DefaultSuccess;

    public Metadata Trailers => _trailers;

    public Status CallStatus => _status;

    protected override string MethodCore => _method;
    protected override string HostCore => "in-process";
    protected override string PeerCore => "in-process";
    protected override DateTime DeadlineCore => _options.Deadline ?? DateTime.MaxValue;
    protected override Metadata RequestHeadersCore => _options.Headers ?? new Metadata();
    protected override CancellationToken CancellationTokenCore => _cancel.Token;
    protected override Metadata ResponseTrailersCore => _trailers;

    protected override Status StatusCore
    {
        get => _status;
        set => _status = value;
    }

    protected override WriteOptions? WriteOptionsCore { get; set; }
    protected override AuthContext AuthContextCore { get; } = new(null, new Dictionary<string, List<AuthProperty>>());

    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
        throw new NotSupportedException("in-process calls do not propagate");

    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
}
