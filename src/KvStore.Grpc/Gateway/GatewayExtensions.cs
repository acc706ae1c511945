using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using KvStore.Grpc.Gateway;
using KvStore.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using V3electionpb;
using V3lockpb;
using Lock = V3lockpb.Lock;

namespace KvStore.Grpc;

/// <summary>
/// etcd's JSON gateway (grpc-gateway v1 as etcd 3.4 serves it on the client URL over HTTP/1.1): POST
/// /v3/&lt;service&gt;/&lt;call&gt; with a JSON request message, answered with the JSON response message, or for a
/// stream one {"result": message} line per message. Calls run in-process on the gRPC service classes, through
/// the interceptors registered by AddKvStoreGrpc, so a call behaves as it does over gRPC.
/// </summary>
public static class GatewayExtensions
{
    /// <summary>etcd 3.4 serves /v3 and /v3beta; /v3alpha (etcd 3.2 and 3.3) is served too.</summary>
    public static IReadOnlyList<string> Versions { get; } = ["/v3", "/v3beta", "/v3alpha"];

    /// <summary>The class of the Auth service the auth routes call.</summary>
    internal static readonly string AuthServiceName = typeof(AuthService).FullName!;

    /// <summary>
    /// Maps every call of etcd 3.4's gateway under each of <see cref="Versions"/>. Needs the services of
    /// AddKvStoreGrpc (gRPC options, the lease id generator) and an IEtcdServer in DI.
    /// </summary>
    public static IEndpointRouteBuilder MapKvStoreGateway(this IEndpointRouteBuilder endpoints)
    {
        var routes = new List<(string Path, RequestDelegate Handler)>();

        var kv = Service(routes, KV.Descriptor);
        kv.Unary<RangeRequest, RangeResponse>("kv/range", "Range");
        kv.Unary<PutRequest, PutResponse>("kv/put", "Put");
        kv.Unary<DeleteRangeRequest, DeleteRangeResponse>("kv/deleterange", "DeleteRange");
        kv.Unary<TxnRequest, TxnResponse>("kv/txn", "Txn");
        kv.Unary<CompactionRequest, CompactionResponse>("kv/compaction", "Compact");

        var watch = Service(routes, Watch.Descriptor);
        watch.Duplex<WatchRequest, WatchResponse>("watch", "Watch");

        var lease = Service(routes, Lease.Descriptor);
        lease.Unary<LeaseGrantRequest, LeaseGrantResponse>("lease/grant", "LeaseGrant");
        lease.Unary<LeaseRevokeRequest, LeaseRevokeResponse>("lease/revoke", "LeaseRevoke");
        lease.Unary<LeaseRevokeRequest, LeaseRevokeResponse>("kv/lease/revoke", "LeaseRevoke");
        lease.Duplex<LeaseKeepAliveRequest, LeaseKeepAliveResponse>("lease/keepalive", "LeaseKeepAlive");
        lease.Unary<LeaseTimeToLiveRequest, LeaseTimeToLiveResponse>("lease/timetolive", "LeaseTimeToLive");
        lease.Unary<LeaseTimeToLiveRequest, LeaseTimeToLiveResponse>("kv/lease/timetolive", "LeaseTimeToLive");
        lease.Unary<LeaseLeasesRequest, LeaseLeasesResponse>("lease/leases", "LeaseLeases");
        lease.Unary<LeaseLeasesRequest, LeaseLeasesResponse>("kv/lease/leases", "LeaseLeases");

        var cluster = Service(routes, Cluster.Descriptor);
        cluster.Unary<MemberAddRequest, MemberAddResponse>("cluster/member/add", "MemberAdd");
        cluster.Unary<MemberRemoveRequest, MemberRemoveResponse>("cluster/member/remove", "MemberRemove");
        cluster.Unary<MemberUpdateRequest, MemberUpdateResponse>("cluster/member/update", "MemberUpdate");
        cluster.Unary<MemberListRequest, MemberListResponse>("cluster/member/list", "MemberList");
        cluster.Unary<MemberPromoteRequest, MemberPromoteResponse>("cluster/member/promote", "MemberPromote");

        var maintenance = Service(routes, Maintenance.Descriptor);
        maintenance.Unary<AlarmRequest, AlarmResponse>("maintenance/alarm", "Alarm");
        maintenance.Unary<StatusRequest, StatusResponse>("maintenance/status", "Status");
        maintenance.Unary<DefragmentRequest, DefragmentResponse>("maintenance/defragment", "Defragment");
        // etcd's gateway maps Hash and HashKV to the same path; Hash, registered first, is the one that answers.
        maintenance.Unary<HashRequest, HashResponse>("maintenance/hash", "Hash");
        maintenance.ServerStreaming<SnapshotRequest, SnapshotResponse>("maintenance/snapshot", "Snapshot");
        maintenance.Unary<MoveLeaderRequest, MoveLeaderResponse>("maintenance/transfer-leadership", "MoveLeader");

        var auth = Service(routes, Auth.Descriptor);
        auth.Unary<AuthEnableRequest, AuthEnableResponse>("auth/enable", "AuthEnable");
        auth.Unary<AuthDisableRequest, AuthDisableResponse>("auth/disable", "AuthDisable");
        auth.Unary<AuthenticateRequest, AuthenticateResponse>("auth/authenticate", "Authenticate");
        auth.Unary<AuthUserAddRequest, AuthUserAddResponse>("auth/user/add", "UserAdd");
        auth.Unary<AuthUserGetRequest, AuthUserGetResponse>("auth/user/get", "UserGet");
        auth.Unary<AuthUserListRequest, AuthUserListResponse>("auth/user/list", "UserList");
        auth.Unary<AuthUserDeleteRequest, AuthUserDeleteResponse>("auth/user/delete", "UserDelete");
        auth.Unary<AuthUserChangePasswordRequest, AuthUserChangePasswordResponse>("auth/user/changepw", "UserChangePassword");
        auth.Unary<AuthUserGrantRoleRequest, AuthUserGrantRoleResponse>("auth/user/grant", "UserGrantRole");
        auth.Unary<AuthUserRevokeRoleRequest, AuthUserRevokeRoleResponse>("auth/user/revoke", "UserRevokeRole");
        auth.Unary<AuthRoleAddRequest, AuthRoleAddResponse>("auth/role/add", "RoleAdd");
        auth.Unary<AuthRoleGetRequest, AuthRoleGetResponse>("auth/role/get", "RoleGet");
        auth.Unary<AuthRoleListRequest, AuthRoleListResponse>("auth/role/list", "RoleList");
        auth.Unary<AuthRoleDeleteRequest, AuthRoleDeleteResponse>("auth/role/delete", "RoleDelete");
        auth.Unary<AuthRoleGrantPermissionRequest, AuthRoleGrantPermissionResponse>("auth/role/grant", "RoleGrantPermission");
        auth.Unary<AuthRoleRevokePermissionRequest, AuthRoleRevokePermissionResponse>("auth/role/revoke", "RoleRevokePermission");

        var locks = Service(routes, Lock.Descriptor);
        locks.Unary<LockRequest, LockResponse>("lock/lock", "Lock");
        locks.Unary<UnlockRequest, UnlockResponse>("lock/unlock", "Unlock");

        var election = Service(routes, Election.Descriptor);
        election.Unary<CampaignRequest, CampaignResponse>("election/campaign", "Campaign");
        election.Unary<ProclaimRequest, ProclaimResponse>("election/proclaim", "Proclaim");
        election.Unary<LeaderRequest, LeaderResponse>("election/leader", "Leader");
        election.ServerStreaming<LeaderRequest, LeaderResponse>("election/observe", "Observe");
        election.Unary<ResignRequest, ResignResponse>("election/resign", "Resign");

        var known = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string version in Versions)
        {
            foreach ((string path, RequestDelegate handler) in routes)
            {
                string pattern = $"{version}/{path}";
                known.Add(pattern);
                endpoints.MapMethods(pattern, [HttpMethods.Post], WithCors(handler)).WithDisplayName("gateway " + pattern);
            }
            endpoints.Map(version + "/{**rest}", WithCors(http => Other(http, known))).WithDisplayName("gateway " + version);
        }
        return endpoints;
    }

    /// <summary>
    /// etcd's access controller with its default --cors "*": the CORS headers on every answer, 200 for OPTIONS.
    /// Else grpc-gateway's mux: 405 for a known path with another method, 404 for a path it does not serve.
    /// </summary>
    private static Task Other(HttpContext http, HashSet<string> known)
    {
        if (HttpMethods.IsOptions(http.Request.Method)) return Task.CompletedTask;
        string path = (http.Request.Path.Value ?? "").TrimEnd('/');
        return GatewayErrors.WritePlainAsync(http, known.Contains(path) ? StatusCodes.Status405MethodNotAllowed : StatusCodes.Status404NotFound);
    }

    private static RequestDelegate WithCors(RequestDelegate handler) => http =>
    {
        if (IgnoresCommonName(http))
        {
            return GatewayErrors.WritePlainAsync(http, StatusCodes.Status400BadRequest,
                "CommonName of client sending a request against gateway will be ignored and not used as expected");
        }
        IHeaderDictionary headers = http.Response.Headers;
        headers["Access-Control-Allow-Methods"] = "POST, GET, OPTIONS, PUT, DELETE";
        headers["Access-Control-Allow-Origin"] = "*";
        headers["Access-Control-Allow-Headers"] = "accept, content-type, authorization";
        return handler(http);
    };

    /// <summary>
    /// etcd's accessController: with --client-cert-auth and auth enabled, a /v3/ gateway request over TLS whose
    /// client certificate has a CN is refused, since the gateway would not authenticate it by that CN.
    /// </summary>
    private static bool IgnoresCommonName(HttpContext http)
    {
        if (http.Connection.ClientCertificate is not { } certificate) return false;
        string path = http.Request.Path.Value ?? "";
        if (!path.StartsWith("/v3/", StringComparison.Ordinal) && !path.StartsWith("/v3beta/", StringComparison.Ordinal)) return false;
        var server = http.RequestServices.GetRequiredService<IEtcdServer>();
        return server.Config.ClientCertAuth && server.AuthStatus().Enabled
            && certificate.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, forIssuer: false).Length > 0;
    }

    private static ServiceRoutes Service(List<(string, RequestDelegate)> routes, Google.Protobuf.Reflection.ServiceDescriptor service) =>
        new(routes, service.FullName);

    /// <summary>The routes of one service: each calls the gRPC method /service/method through <see cref="EtcdCallHandlers"/>.</summary>
    private sealed class ServiceRoutes(List<(string, RequestDelegate)> routes, string service)
    {
        public void Unary<TRequest, TResponse>(string path, string method)
            where TRequest : class, IMessage<TRequest>, new() where TResponse : class, IMessage<TResponse> =>
            routes.Add((path, GatewayCalls.Unary<TRequest, TResponse>($"/{service}/{method}")));

        public void ServerStreaming<TRequest, TResponse>(string path, string method)
            where TRequest : class, IMessage<TRequest>, new() where TResponse : class, IMessage<TResponse> =>
            routes.Add((path, GatewayCalls.ServerStreaming<TRequest, TResponse>($"/{service}/{method}")));

        public void Duplex<TRequest, TResponse>(string path, string method)
            where TRequest : class, IMessage<TRequest>, new() where TResponse : class, IMessage<TResponse> =>
            routes.Add((path, GatewayCalls.Duplex<TRequest, TResponse>($"/{service}/{method}")));
    }
}
