using Grpc.Core;
using KvStore.Server;

namespace KvStore.Grpc;

/// <summary>
/// The credentials a call came with (its token, the verified client certificate's CN), kept on the call context by
/// <see cref="EtcdCallInterceptor"/>; a service resolves them to the <see cref="Caller"/> it passes to a verb.
/// </summary>
internal static class CallCredentials
{
    private static readonly object Key = new();

    public static void Set(ServerCallContext context, string? token, string? commonName) => context.UserState[Key] = (token, commonName);

    /// <summary>etcd's AuthInfoFromCtx for this call: resolved where a verb needs the caller, as etcd resolves it.</summary>
    public static Caller CallerOf(this IEtcdServer server, ServerCallContext context) =>
        context.UserState.TryGetValue(Key, out object? value) && value is ValueTuple<string?, string?> credentials
            ? server.AuthInfoFrom(credentials.Item1, credentials.Item2)
            : Caller.Nobody;
}
