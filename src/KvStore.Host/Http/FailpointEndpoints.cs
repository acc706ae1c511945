using KvStore.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace KvStore.Host.Http;

/// <summary>
/// gofail's HTTP interface for <see cref="Failpoints"/>, under /debug/failpoints on the client URLs: <c>PUT /NAME</c> with
/// the term as body arms a point (204; 400 with the reason when refused), <c>DELETE /NAME</c> disarms it (204, 404 when
/// not armed), <c>GET</c> lists the armed points as name=term lines. Mapped only when the member has failpoints.
/// </summary>
internal static class FailpointEndpoints
{
    public static IEndpointRouteBuilder MapFailpoints(this IEndpointRouteBuilder endpoints, Failpoints failpoints)
    {
        endpoints.MapGet("/debug/failpoints", () => Results.Text(failpoints.List()));
        endpoints.MapPut("/debug/failpoints/{name}", async (string name, HttpRequest request) =>
        {
            using var body = new StreamReader(request.Body);
            string term = await body.ReadToEndAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
            return failpoints.Arm(name, term) is { } refused ? Results.Text(refused + "\n", statusCode: 400) : Results.NoContent();
        });
        endpoints.MapDelete("/debug/failpoints/{name}", (string name) => failpoints.Disarm(name) ? Results.NoContent() : Results.NotFound());
        return endpoints;
    }
}
