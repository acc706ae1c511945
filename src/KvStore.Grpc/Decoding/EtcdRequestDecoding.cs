using System.Buffers;
using System.Reflection;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.AspNetCore.Routing;

namespace KvStore.Grpc.Decoding;

/// <summary>
/// Grpc.AspNetCore's discovery of a service's methods (in place of its own, which binds the same methods through the
/// generated [BindServiceMethod]) with one change: the methods of etcd's services (packages etcdserverpb, v3lockpb,
/// v3electionpb) get request marshallers that decide the bytes as etcd does (<see cref="GogoUnmarshal"/>) before
/// Google.Protobuf parses them, and refuse with grpc-go's Internal "grpc: error unmarshalling request: ..."
/// (<see cref="ErrorTable.Unmarshalling"/>). Tests: the protobuf rows of the hostile-input matrix and the decoding fuzz.
/// KV.Range's answer is written in parts (<see cref="RangeResponseWriter"/>).
/// </summary>
internal sealed class EtcdRequestDecoding<TService> : IServiceMethodProvider<TService> where TService : class
{
    private static readonly string[] EtcdPackages = ["etcdserverpb.", "v3lockpb.", "v3electionpb."];

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        for (Type? generated = typeof(TService); generated is not null; generated = generated.BaseType)
        {
            if (generated.GetCustomAttribute<BindServiceMethodAttribute>(inherit: false) is not { } bind) continue;
            MethodInfo method = bind.BindType.GetMethod(bind.BindMethodName, BindingFlags.Public | BindingFlags.Static,
                [typeof(ServiceBinderBase), generated]) ?? throw new InvalidOperationException($"no {bind.BindMethodName} for {generated}");
            method.Invoke(null, [new Binder(context, generated), null]);
            return;
        }
    }

    /// <summary>Adds each method the generated BindService names, as Grpc.AspNetCore's own binder does.</summary>
    private sealed class Binder(ServiceMethodProviderContext<TService> context, Type generated) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Invoker<UnaryServerMethod<TService, TRequest, TResponse>>(method.Name,
                typeof(TRequest), typeof(ServerCallContext));
            context.AddUnaryMethod(Decoded(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method,
            ClientStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Invoker<ClientStreamingServerMethod<TService, TRequest, TResponse>>(method.Name,
                typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext));
            context.AddClientStreamingMethod(Decoded(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method,
            ServerStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Invoker<ServerStreamingServerMethod<TService, TRequest, TResponse>>(method.Name,
                typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
            context.AddServerStreamingMethod(Decoded(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method,
            DuplexStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Invoker<DuplexStreamingServerMethod<TService, TRequest, TResponse>>(method.Name,
                typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
            context.AddDuplexStreamingMethod(Decoded(method), metadata, invoker);
        }

        /// <summary>The service's implementation of the generated virtual method (or the generated one, which answers Unimplemented).</summary>
        private (TDelegate Invoker, List<object> Metadata) Invoker<TDelegate>(string name, params Type[] parameters) where TDelegate : Delegate
        {
            MethodInfo handler = typeof(TService).GetMethod(name, BindingFlags.Public | BindingFlags.Instance, parameters) is { } m
                && m.GetBaseDefinition().DeclaringType == generated
                ? m
                : throw new InvalidOperationException($"Could not find '{name}' on {typeof(TService)}.");
            List<object> metadata = [.. typeof(TService).GetCustomAttributes(inherit: true), .. handler.GetCustomAttributes(inherit: true),
                new HttpMethodMetadata(["POST"], acceptCorsPreflight: true)];
            return ((TDelegate)Delegate.CreateDelegate(typeof(TDelegate), handler), metadata);
        }

        private static Method<TRequest, TResponse> Decoded<TRequest, TResponse>(Method<TRequest, TResponse> method)
            where TRequest : class where TResponse : class =>
            EtcdPackages.Any(p => method.ServiceName.StartsWith(p, StringComparison.Ordinal))
                ? new(method.Type, method.ServiceName, method.Name,
                    EtcdRequestMarshaller.For(method.RequestMarshaller,
                        streaming: method.Type is MethodType.ClientStreaming or MethodType.DuplexStreaming),
                    RangeResponseWriter.For(method))
                : method;
    }
}

/// <summary>A generated request type's marshaller whose deserializer decides the bytes as etcd's gogo code does first.</summary>
internal static class EtcdRequestMarshaller
{
    /// <param name="streaming">Messages of a client or bidirectional stream (grpc-go words their errors otherwise).</param>
    public static Marshaller<T> For<T>(Marshaller<T> generated, bool streaming) where T : class
    {
        MessageDescriptor descriptor = ((IMessage)Activator.CreateInstance<T>()).Descriptor;
        return new Marshaller<T>(generated.ContextualSerializer, context => (T)Decode(descriptor, context.PayloadAsReadOnlySequence(), streaming));
    }

    /// <summary>The message in <paramref name="payload"/> when gogo's Unmarshal takes it, else etcd's error for it.</summary>
    public static IMessage Decode(MessageDescriptor descriptor, ReadOnlySequence<byte> payload, bool streaming)
    {
        byte[]? joined = payload.IsSingleSegment ? null : payload.ToArray();
        WireVerdict verdict = GogoUnmarshal.Check(descriptor, joined ?? payload.FirstSpan);
        if (!verdict.IsOk) throw ErrorTable.Unmarshalling(verdict, streaming);
        try
        {
            return descriptor.Parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException)
        {
            return descriptor.Parser.ParseFrom(GogoUnmarshal.Normalize(descriptor, joined ?? payload.FirstSpan));
        }
    }
}
