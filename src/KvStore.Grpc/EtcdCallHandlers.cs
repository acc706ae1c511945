using Grpc.AspNetCore.Server;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KvStore.Grpc;

/// <summary>
/// Every method of <see cref="EtcdServices"/> behind the interceptors registered with AddGrpc, outermost first as
/// grpc-dotnet runs them: the call pipeline of the in-process invoker and the JSON gateway, so a call there behaves as
/// it does over gRPC (credentials, hasleader, error mapping, metrics). Tests: EmbeddedMemberTests, GatewayTests.
/// </summary>
public sealed class EtcdCallHandlers
{
    private readonly Dictionary<string, Delegate> _handlers = new(StringComparer.Ordinal);

    public EtcdCallHandlers(IServiceProvider services)
    {
        IReadOnlyList<Interceptor> interceptors = [.. services.GetRequiredService<IOptions<GrpcServiceOptions>>().Value.Interceptors
            .Select(r => (Interceptor)((r.Arguments.Count == 0 ? services.GetService(r.Type) : null)
                ?? ActivatorUtilities.CreateInstance(services, r.Type, [.. r.Arguments])))];
        var binder = new InterceptingBinder(_handlers, interceptors);
        foreach (EtcdServices.Service service in EtcdServices.All) service.Bind(binder, services);
    }

    /// <summary>The handler of a method by its full name (/etcdserverpb.KV/Range); Unimplemented as grpc-go for another.</summary>
    public TDelegate Get<TDelegate>(string method) where TDelegate : Delegate =>
        _handlers.TryGetValue(method, out Delegate? d) && d is TDelegate handler
            ? handler
            : throw new RpcException(new Status(StatusCode.Unimplemented, $"unknown method {method}"));

    /// <summary>Wraps each method a generated BindService adds in the interceptors, the first outermost.</summary>
    private sealed class InterceptingBinder(Dictionary<string, Delegate> handlers, IReadOnlyList<Interceptor> interceptors) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler) =>
            Add(method, handler!, (i, inner) => (r, c) => i.UnaryServerHandler(r, c, inner));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method,
            ClientStreamingServerMethod<TRequest, TResponse>? handler) =>
            Add(method, handler!, (i, inner) => (r, c) => i.ClientStreamingServerHandler(r, c, inner));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method,
            ServerStreamingServerMethod<TRequest, TResponse>? handler) =>
            Add(method, handler!, (i, inner) => (r, w, c) => i.ServerStreamingServerHandler(r, w, c, inner));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method,
            DuplexStreamingServerMethod<TRequest, TResponse>? handler) =>
            Add(method, handler!, (i, inner) => (r, w, c) => i.DuplexStreamingServerHandler(r, w, c, inner));

        private void Add<TDelegate>(IMethod method, TDelegate handler, Func<Interceptor, TDelegate, TDelegate> wrap) where TDelegate : Delegate
        {
            for (int i = interceptors.Count - 1; i >= 0; i--) handler = wrap(interceptors[i], handler);
            handlers[method.FullName] = handler;
        }
    }
}
