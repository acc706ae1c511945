using System.Text.Json.Nodes;
using KvStore.ApiServer.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace KvStore.ApiServer.Security;

/// <summary>
/// kube-apiserver's authentication filter in front of every request: a failed credential (or none, with
/// --anonymous-auth=false) is kube's 401 Status "Unauthorized"; the user found travels on as
/// <see cref="IAuthenticatedUserFeature"/>. There is no authorizer: an authenticated user may do everything (kube's
/// AlwaysAllow). When clients authenticate, an anonymous request may only read what kube's default RBAC gives
/// system:unauthenticated (system:public-info-viewer: GET /healthz, /livez, /readyz, /version), else 403 Forbidden.
/// Tests: SecureFacadeTests (kubectl, curl-like requests), RequestAttributesTests (the 403 messages).
/// </summary>
internal sealed partial class AuthenticationFilter(RequestAuthenticator authenticator, RequestDelegate next, TimeProvider clock, ILogger logger)
{
    private static readonly HashSet<string> PublicInfoPaths = ["/healthz", "/livez", "/readyz", "/version", "/version/"];

    public async Task InvokeAsync(HttpContext context)
    {
        var certificate = context.Features.Get<ITlsConnectionFeature>()?.ClientCertificate;
        var (user, failure) = authenticator.Authenticate(certificate, context.Request.Headers.Authorization.ToString());
        if (user is null)
        {
            if (failure is { Length: > 0 }) Log.Unauthenticated(logger, failure);
            await HttpIo.WriteAsync(context, 401, ApiError.Status(401, "Unauthorized", "Unauthorized", null)).ConfigureAwait(false);
            return;
        }
        var path = context.Request.Path.Value ?? "/";
        if (user.IsAnonymous && authenticator.AuthenticatesClients && !(context.Request.Method == "GET" && PublicInfoPaths.Contains(path)))
        {
            await WriteForbiddenAsync(context, user, path).ConfigureAwait(false);
            return;
        }
        context.Features.Set<IAuthenticatedUserFeature>(new AuthenticatedUserFeature(user));
        if (path.TrimEnd('/') == SelfSubjectReview.Path)
        {
            await SelfSubjectReview.WriteAsync(context, user, clock.GetUtcNow()).ConfigureAwait(false);
            return;
        }
        await next(context).ConfigureAwait(false);
    }

    private static Task WriteForbiddenAsync(HttpContext context, UserInfo user, string path)
    {
        var watch = context.Request.Query["watch"] is { Count: > 0 } w && w[0] is "true" or "1";
        var request = RequestAttributes.Of(context.Request.Method, path, watch);
        var details = new JsonObject();
        if (request.IsResourceRequest)
        {
            if (request.Name.Length > 0) details["name"] = request.Name;
            if (request.Group.Length > 0) details["group"] = request.Group;
            details["kind"] = request.Resource;
        }
        return HttpIo.WriteAsync(context, 403, ApiError.Status(403, "Forbidden", request.ForbiddenMessage(user.Name), details));
    }
}
