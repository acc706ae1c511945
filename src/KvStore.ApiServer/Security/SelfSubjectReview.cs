using System.Globalization;
using System.Text.Json.Nodes;
using KvStore.ApiServer.Http;
using Microsoft.AspNetCore.Http;

namespace KvStore.ApiServer.Security;

/// <summary>
/// authentication.k8s.io/v1 SelfSubjectReview (what `kubectl auth whoami` creates): POST answers 201 with the caller's
/// user as the authenticators found it; nothing is stored.
/// </summary>
internal static class SelfSubjectReview
{
    public const string Path = "/apis/authentication.k8s.io/v1/selfsubjectreviews";

    public static Task WriteAsync(HttpContext context, UserInfo user, DateTimeOffset now)
    {
        if (context.Request.Method != "POST")
        {
            return HttpIo.WriteAsync(context, 405, ApiError.MethodNotAllowed().ToStatus());
        }
        var userInfo = new JsonObject { ["username"] = user.Name };
        if (user.Uid.Length > 0) userInfo["uid"] = user.Uid;
        if (user.Groups.Count > 0) userInfo["groups"] = new JsonArray(user.Groups.Select(g => (JsonNode)JsonValue.Create(g)).ToArray());
        return HttpIo.WriteAsync(context, 201, new JsonObject
        {
            ["kind"] = "SelfSubjectReview",
            ["apiVersion"] = "authentication.k8s.io/v1",
            ["metadata"] = new JsonObject { ["creationTimestamp"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'",
                CultureInfo.InvariantCulture) },
            ["status"] = new JsonObject { ["userInfo"] = userInfo },
        });
    }
}
