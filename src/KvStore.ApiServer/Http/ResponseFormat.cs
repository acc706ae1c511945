using KvStore.ApiServer.Wire;
using Microsoft.AspNetCore.Http;

namespace KvStore.ApiServer.Http;

/// <summary>
/// The representation an Accept header asks for, negotiated as kube-apiserver does (negotiation.NegotiateOutputMediaType
/// with the handlers' AllowsMediaTypeTransform): the first acceptable clause by q wins; JSON or protobuf; `as=Table`
/// (JSON only: meta.k8s.io Table has no protobuf form), `as=PartialObjectMetadata` and `as=PartialObjectMetadataList`
/// (both encodings) with `g=meta.k8s.io` and `v=v1|v1beta1`. Held by ProtobufHttpTests.
/// </summary>
internal sealed record ResponseFormat(bool Protobuf, string? As, string MetaVersion)
{
    public static readonly ResponseFormat Json = new(false, null, "v1");

    private const string ItemKey = "kvstore.responseFormat";

    public bool Table => As == "Table";

    /// <summary>The Content-Type of a body in this representation (`application/json;as=Table;v=v1;g=meta.k8s.io`).</summary>
    public string ContentType => (Protobuf ? KubeProtobuf.ContentType : HttpIo.Json) + (As is null ? "" : $";as={As};v={MetaVersion};g=meta.k8s.io");

    /// <summary>The negotiated format; a 406 NotAcceptable Status when no clause of a non-empty Accept can be served.</summary>
    public static ResponseFormat Of(HttpRequest request)
    {
        if (request.HttpContext.Items[ItemKey] is ResponseFormat known) return known;
        var format = Negotiate(request) ?? throw new ApiError(406, "NotAcceptable",
            "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf");
        request.HttpContext.Items[ItemKey] = format;
        return format;
    }

    /// <summary>The negotiated format, JSON when nothing acceptable was asked for (for writing errors).</summary>
    public static ResponseFormat OrJson(HttpRequest request) =>
        request.HttpContext.Items[ItemKey] as ResponseFormat ?? Negotiate(request) ?? Json;

    private static ResponseFormat? Negotiate(HttpRequest request)
    {
        var clauses = request.Headers.Accept
            .SelectMany(header => (header ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(Parse)
            .Where(c => c.Q > 0)
            .OrderByDescending(c => c.Q)
            .ToList();
        if (clauses.Count == 0) return Json;
        foreach (var (mediaType, parameters, _) in clauses)
        {
            var protobuf = mediaType == KubeProtobuf.ContentType;
            if (!protobuf && mediaType is not (HttpIo.Json or "*/*" or "application/*")) continue;
            if (!parameters.TryGetValue("as", out var target)) return protobuf ? new ResponseFormat(true, null, "v1") : Json;
            if (parameters.GetValueOrDefault("g") != "meta.k8s.io" || parameters.GetValueOrDefault("v") is not ("v1" or "v1beta1")) continue;
            if (target is "PartialObjectMetadata" or "PartialObjectMetadataList" || (target == "Table" && !protobuf))
                return new ResponseFormat(protobuf, target, parameters["v"]);
        }
        return null;
    }

    private static (string MediaType, Dictionary<string, string> Parameters, double Q) Parse(string clause)
    {
        var parts = clause.Split(';', StringSplitOptions.TrimEntries);
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in parts.Skip(1))
        {
            var eq = part.IndexOf('=');
            if (eq > 0) parameters[part[..eq].Trim()] = part[(eq + 1)..].Trim();
        }
        var q = parameters.TryGetValue("q", out var qText) &&
            double.TryParse(qText, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var parsed)
                ? parsed : 1;
        return (parts[0].ToLowerInvariant(), parameters, q);
    }
}
