using Grpc.AspNetCore.Server;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KvStore.Grpc.Gateway;

/// <summary>
/// One gRPC service as the gateway calls it in-process: the implementation is created for each call as
/// grpc-dotnet's activator does (from DI when registered, else constructed with its dependencies from DI), and
/// the call passes through the interceptors registered with AddGrpc, so a call behaves as it does over gRPC.
/// A service whose implementation is not in this build answers Unimplemented, as grpc-go does for an unknown service.
/// </summary>
internal sealed class GatewayService<TService> where TService : class
{
    private readonly Type? _implementation;
    private readonly ObjectFactory? _factory;

    public GatewayService(Type? implementation, Google.Protobuf.Reflection.ServiceDescriptor descriptor)
    {
        if (implementation is not null && !implementation.IsAssignableTo(typeof(TService)))
            throw new ArgumentException($"{implementation} is no {typeof(TService)}", nameof(implementation));
        _implementation = implementation;
        _factory = implementation is null ? null : ActivatorUtilities.CreateFactory(implementation, []);
        Name = descriptor.FullName;
    }

    /// <summary>The gRPC service name, e.g. etcdserverpb.KV.</summary>
    public string Name { get; }

    /// <summary>The gRPC method path, e.g. /etcdserverpb.KV/Range.</summary>
    public string Method(string name) => $"/{Name}/{name}";

    /// <summary>A service class of this assembly named <paramref name="fullName"/>, if this build has it.</summary>
    public static GatewayService<TService> ByName(string fullName, Google.Protobuf.Reflection.ServiceDescriptor descriptor)
    {
        Type? type = typeof(GatewayService<>).Assembly.GetType(fullName, throwOnError: false);
        return new GatewayService<TService>(type is not null && type.IsAssignableTo(typeof(TService)) ? type : null, descriptor);
    }

    /// <summary>The service and interceptors for one call; disposing it disposes what it created.</summary>
    public Call Begin(IServiceProvider services)
    {
        if (_implementation is null)
        {
            string message = $"unknown service {Name}";
            throw new RpcException(new Status(StatusCode.Unimplemented, message), message);
        }
        var call = new Call();
        object? registered = services.GetService(_implementation);
        call.Service = (TService)(registered ?? call.Own(_factory!(services, null)));
        foreach (InterceptorRegistration registration in services.GetRequiredService<IOptions<GrpcServiceOptions>>().Value.Interceptors)
        {
            object? interceptor = registration.Arguments.Count == 0 ? services.GetService(registration.Type) : null;
            interceptor ??= call.Own(ActivatorUtilities.CreateInstance(services, registration.Type, [.. registration.Arguments]));
            call.Interceptors.Add((Interceptor)interceptor);
        }
        return call;
    }

    public sealed class Call : IAsyncDisposable
    {
        private readonly List<object> _owned = [];

        public TService Service { get; set; } = null!;

        /// <summary>Outermost first, as grpc-dotnet runs them.</summary>
        public List<Interceptor> Interceptors { get; } = [];

        public object Own(object created)
        {
            _owned.Add(created);
            return created;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (object o in _owned)
            {
                if (o is IAsyncDisposable a) await a.DisposeAsync().ConfigureAwait(false);
                else if (o is IDisposable d) d.Dispose();
            }
        }
    }
}
