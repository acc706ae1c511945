using Grpc.Core;

namespace KvStore.Grpc;

/// <summary>A call's context with a cancellation token of its own (etcd's stream context that monitorLeader cancels).</summary>
internal sealed class CancellableCallContext : ServerCallContext
{
    /// <summary>Where grpc-dotnet's GetHttpContext() looks for a context it did not create (it activates the service with it).</summary>
    internal const string HttpContextKey = "__HttpContext";

    private readonly ServerCallContext _inner;
    private readonly CancellationToken _token;

    public CancellableCallContext(ServerCallContext inner, CancellationToken token)
    {
        _inner = inner;
        _token = token;
        if (inner is not Embedded.InProcessServerCallContext) inner.UserState[HttpContextKey] = inner.GetHttpContext();
    }

    protected override string MethodCore => _inner.Method;
    protected override string HostCore => _inner.Host;
    protected override string PeerCore => _inner.Peer;
    protected override DateTime DeadlineCore => _inner.Deadline;
    protected override Metadata RequestHeadersCore => _inner.RequestHeaders;
    protected override CancellationToken CancellationTokenCore => _token;
    protected override Metadata ResponseTrailersCore => _inner.ResponseTrailers;
    protected override IDictionary<object, object> UserStateCore => _inner.UserState;
    protected override AuthContext AuthContextCore => _inner.AuthContext;

    protected override Status StatusCore
    {
        get => _inner.Status;
        set => _inner.Status = value;
    }

    protected override WriteOptions? WriteOptionsCore
    {
        get => _inner.WriteOptions;
        set => _inner.WriteOptions = value;
    }

    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
        _inner.CreatePropagationToken(options);

    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => _inner.WriteResponseHeadersAsync(responseHeaders);
}
