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

    /// <summary>The class name the Auth service will have; until this build has it, its calls answer Unimplemented.</summary>
    internal const string AuthServiceName = "KvStore.Grpc.AuthService";

    /// <summary>
    /// Maps every call of etcd 3.4's gateway under each of <see cref="Versions"/>. Needs the services of
    /// AddKvStoreGrpc (gRPC options, the lease id generator) and an IEtcdServer in DI.
    /// </summary>
    public static IEndpointRouteBuilder MapKvStoreGateway(this IEndpointRouteBuilder endpoints)
    {
        var routes = new List<(string Path, RequestDelegate Handler)>();

        var kv = Service<KV.KVBase>(routes, new(typeof(KvService), KV.Descriptor));
        kv.Unary<RangeRequest, RangeResponse>("kv/range", "Range", (s, r, c) => s.Range(r, c));
        kv.Unary<PutRequest, PutResponse>("kv/put", "Put", (s, r, c) => s.Put(r, c));
        kv.Unary<DeleteRangeRequest, DeleteRangeResponse>("kv/deleterange", "DeleteRange", (s, r, c) => s.DeleteRange(r, c));
        kv.Unary<TxnRequest, TxnResponse>("kv/txn", "Txn", (s, r, c) => s.Txn(r, c));
        kv.Unary<CompactionRequest, CompactionResponse>("kv/compaction", "Compact", (s, r, c) => s.Compact(r, c));

        var watch = Service<Watch.WatchBase>(routes, new(typeof(WatchService), Watch.Descriptor));
        watch.Duplex<WatchRequest, WatchResponse>("watch", "Watch", (s, r, w, c) => s.Watch(r, w, c));

        var lease = Service<Lease.LeaseBase>(routes, new(typeof(LeaseService), Lease.Descriptor));
        lease.Unary<LeaseGrantRequest, LeaseGrantResponse>("lease/grant", "LeaseGrant", (s, r, c) => s.LeaseGrant(r, c));
        lease.Unary<LeaseRevokeRequest, LeaseRevokeResponse>("lease/revoke", "LeaseRevoke", (s, r, c) => s.LeaseRevoke(r, c));
        lease.Unary<LeaseRevokeRequest, LeaseRevokeResponse>("kv/lease/revoke", "LeaseRevoke", (s, r, c) => s.LeaseRevoke(r, c));
        lease.Duplex<LeaseKeepAliveRequest, LeaseKeepAliveResponse>("lease/keepalive", "LeaseKeepAlive", (s, r, w, c) => s.LeaseKeepAlive(r, w, c));
        lease.Unary<LeaseTimeToLiveRequest, LeaseTimeToLiveResponse>("lease/timetolive", "LeaseTimeToLive", (s, r, c) => s.LeaseTimeToLive(r, c));
        lease.Unary<LeaseTimeToLiveRequest, LeaseTimeToLiveResponse>("kv/lease/timetolive", "LeaseTimeToLive", (s, r, c) => s.LeaseTimeToLive(r, c));
        lease.Unary<LeaseLeasesRequest, LeaseLeasesResponse>("lease/leases", "LeaseLeases", (s, r, c) => s.LeaseLeases(r, c));
        lease.Unary<LeaseLeasesRequest, LeaseLeasesResponse>("kv/lease/leases", "LeaseLeases", (s, r, c) => s.LeaseLeases(r, c));

        var cluster = Service<Cluster.ClusterBase>(routes, new(typeof(ClusterService), Cluster.Descriptor));
        cluster.Unary<MemberAddRequest, MemberAddResponse>("cluster/member/add", "MemberAdd", (s, r, c) => s.MemberAdd(r, c));
        cluster.Unary<MemberRemoveRequest, MemberRemoveResponse>("cluster/member/remove", "MemberRemove", (s, r, c) => s.MemberRemove(r, c));
        cluster.Unary<MemberUpdateRequest, MemberUpdateResponse>("cluster/member/update", "MemberUpdate", (s, r, c) => s.MemberUpdate(r, c));
        cluster.Unary<MemberListRequest, MemberListResponse>("cluster/member/list", "MemberList", (s, r, c) => s.MemberList(r, c));
        cluster.Unary<MemberPromoteRequest, MemberPromoteResponse>("cluster/member/promote", "MemberPromote", (s, r, c) => s.MemberPromote(r, c));

        var maintenance = Service<Maintenance.MaintenanceBase>(routes, new(typeof(MaintenanceService), Maintenance.Descriptor));
        maintenance.Unary<AlarmRequest, AlarmResponse>("maintenance/alarm", "Alarm", (s, r, c) => s.Alarm(r, c));
        maintenance.Unary<StatusRequest, StatusResponse>("maintenance/status", "Status", (s, r, c) => s.Status(r, c));
        maintenance.Unary<DefragmentRequest, DefragmentResponse>("maintenance/defragment", "Defragment", (s, r, c) => s.Defragment(r, c));
        // etcd's gateway maps Hash and HashKV to the same path; Hash, registered first, is the one that answers.
        maintenance.Unary<HashRequest, HashResponse>("maintenance/hash", "Hash", (s, r, c) => s.Hash(r, c));
        maintenance.ServerStreaming<SnapshotRequest, SnapshotResponse>("maintenance/snapshot", "Snapshot", (s, r, w, c) => s.Snapshot(r, w, c));
        maintenance.Unary<MoveLeaderRequest, MoveLeaderResponse>("maintenance/transfer-leadership", "MoveLeader", (s, r, c) => s.MoveLeader(r, c));

        var auth = Service<Auth.AuthBase>(routes, GatewayService<Auth.AuthBase>.ByName(AuthServiceName, Auth.Descriptor));
        auth.Unary<AuthEnableRequest, AuthEnableResponse>("auth/enable", "AuthEnable", (s, r, c) => s.AuthEnable(r, c));
        auth.Unary<AuthDisableRequest, AuthDisableResponse>("auth/disable", "AuthDisable", (s, r, c) => s.AuthDisable(r, c));
        auth.Unary<AuthenticateRequest, AuthenticateResponse>("auth/authenticate", "Authenticate", (s, r, c) => s.Authenticate(r, c));
        auth.Unary<AuthUserAddRequest, AuthUserAddResponse>("auth/user/add", "UserAdd", (s, r, c) => s.UserAdd(r, c));
        auth.Unary<AuthUserGetRequest, AuthUserGetResponse>("auth/user/get", "UserGet", (s, r, c) => s.UserGet(r, c));
        auth.Unary<AuthUserListRequest, AuthUserListResponse>("auth/user/list", "UserList", (s, r, c) => s.UserList(r, c));
        auth.Unary<AuthUserDeleteRequest, AuthUserDeleteResponse>("auth/user/delete", "UserDelete", (s, r, c) => s.UserDelete(r, c));
        auth.Unary<AuthUserChangePasswordRequest, AuthUserChangePasswordResponse>("auth/user/changepw", "UserChangePassword", (s, r, c) => s.UserChangePassword(r, c));
        auth.Unary<AuthUserGrantRoleRequest, AuthUserGrantRoleResponse>("auth/user/grant", "UserGrantRole", (s, r, c) => s.UserGrantRole(r, c));
        auth.Unary<AuthUserRevokeRoleRequest, AuthUserRevokeRoleResponse>("auth/user/revoke", "UserRevokeRole", (s, r, c) => s.UserRevokeRole(r, c));
        auth.Unary<AuthRoleAddRequest, AuthRoleAddResponse>("auth/role/add", "RoleAdd", (s, r, c) => s.RoleAdd(r, c));
        auth.Unary<AuthRoleGetRequest, AuthRoleGetResponse>("auth/role/get", "RoleGet", (s, r, c) => s.RoleGet(r, c));
        auth.Unary<AuthRoleListRequest, AuthRoleListResponse>("auth/role/list", "RoleList", (s, r, c) => s.RoleList(r, c));
        auth.Unary<AuthRoleDeleteRequest, AuthRoleDeleteResponse>("auth/role/delete", "RoleDelete", (s, r, c) => s.RoleDelete(r, c));
        auth.Unary<AuthRoleGrantPermissionRequest, AuthRoleGrantPermissionResponse>("auth/role/grant", "RoleGrantPermission", (s, r, c) => s.RoleGrantPermission(r, c));
        auth.Unary<AuthRoleRevokePermissionRequest, AuthRoleRevokePermissionResponse>("auth/role/revoke", "RoleRevokePermission", (s, r, c) => s.RoleRevokePermission(r, c));

        var locks = Service<Lock.LockBase>(routes, new(typeof(LockService), Lock.Descriptor));
        locks.Unary<LockRequest, LockResponse>("lock/lock", "Lock", (s, r, c) => s.Lock(r, c));
        locks.Unary<UnlockRequest, UnlockResponse>("lock/unlock", "Unlock", (s, r, c) => s.Unlock(r, c));

        var election = Service<Election.ElectionBase>(routes, new(typeof(ElectionService), Election.Descriptor));
        election.Unary<CampaignRequest, CampaignResponse>("election/campaign", "Campaign", (s, r, c) => s.Campaign(r, c));
        election.Unary<ProclaimRequest, ProclaimResponse>("election/proclaim", "Proclaim", (s, r, c) => s.Proclaim(r, c));
        election.Unary<LeaderRequest, LeaderResponse>("election/leader", "Leader", (s, r, c) => s.Leader(r, c));
        election.ServerStreaming<LeaderRequest, LeaderResponse>("election/observe", "Observe", (s, r, w, c) => s.Observe(r, w, c));
        election.Unary<ResignRequest, ResignResponse>("election/resign", "Resign", (s, r, c) => s.Resign(r, c));

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
        return server.Config.ClientCertAuth && server.Store.AuthEnabled
            && certificate.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, forIssuer: false).Length > 0;
    }

    private static ServiceRoutes<TService> Service<TService>(List<(string, RequestDelegate)> routes, GatewayService<TService> service)
        where TService : class => new(routes, service);

    private sealed class ServiceRoutes<TService>(List<(string, RequestDelegate)> routes, GatewayService<TService> service) where TService : class
    {
        public void Unary<TRequest, TResponse>(string path, string method, Func<TService, TRequest, ServerCallContext, Task<TResponse>> call)
            where TRequest : class, IMessage<TRequest>, new() where TResponse : class, IMessage<TResponse> =>
            routes.Add((path, GatewayCalls.Unary(service, method, call)));

        public void ServerStreaming<TRequest, TResponse>(string path, string method,
            Func<TService, TRequest, IServerStreamWriter<TResponse>, ServerCallContext, Task> call)
            where TRequest : class, IMessage<TRequest>, new() where TResponse : class, IMessage<TResponse> =>
            routes.Add((path, GatewayCalls.ServerStreaming(service, method, call)));

        public void Duplex<TRequest, TResponse>(string path, string method,
            Func<TService, IAsyncStreamReader<TRequest>, IServerStreamWriter<TResponse>, ServerCallContext, Task> call)
            where TRequest : class, IMessage<TRequest>, new() where TResponse : class, IMessage<TResponse> =>
            routes.Add((path, GatewayCalls.Duplex(service, method, call)));
    }
}
