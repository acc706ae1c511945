using System.Globalization;
using KvStore.ApiServer.Schema;
using Microsoft.AspNetCore.Http;
using static KvStore.ApiServer.Schema.FieldErrors;

namespace KvStore.ApiServer.Http;

/// <summary>
/// The resourceVersion-related list and watch parameters (kube's metainternalversion.ListOptions), with kube 1.32's
/// defaulting (a watch from "" or "0" is a watch-list: sendInitialEvents=true, resourceVersionMatch=NotOlderThan, the
/// WatchList feature being on) and validation (422 `ListOptions.meta.k8s.io "" is invalid: ...`); WatchCacheTests hold both.
/// </summary>
internal sealed record ListOptions(string ResourceVersion, string Match, bool? SendInitialEvents, bool AllowWatchBookmarks, string Continue,
    long Limit)
{
    public const string NotOlderThan = "NotOlderThan";
    public const string Exact = "Exact";

    /// <summary>resourceVersion as a number ("" and "0": 0); BadRequest as kube words an unparsable one.</summary>
    public long Revision => ResourceVersion.Length == 0 ? 0
        : long.TryParse(ResourceVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var rv) ? rv
        : throw ApiError.BadRequest($"invalid resource version: {ResourceVersion}");

    /// <summary>A watch whose stream starts with the current objects and the initial-events-end bookmark (kube's isListWatchRequest).</summary>
    public bool IsWatchList => SendInitialEvents == true && AllowWatchBookmarks;

    public static ListOptions Parse(HttpContext context, bool watch)
    {
        string Get(string name) => context.Request.Query[name] is { Count: > 0 } v ? v[0] ?? "" : "";
        var limitText = Get("limit");
        long limit = 0;
        if (limitText.Length > 0 && (!long.TryParse(limitText, out limit) || limit < 0))
        {
            throw ApiError.BadRequest($"limit: Invalid value: \"{limitText}\": must be a non-negative integer");
        }
        var options = new ListOptions(Get("resourceVersion"), Get("resourceVersionMatch"), Bool(Get("sendInitialEvents")),
            Bool(Get("allowWatchBookmarks")) == true, Get("continue"), limit);
        if (watch) options = options.WithWatchDefaults();
        var causes = watch ? options.WatchErrors() : options.ListErrors();
        if (causes.Count > 0) throw ApiError.InvalidOptions("ListOptions", causes);
        return options;
    }

    /// <summary>Go's strconv.ParseBool as kube's parameter codec applies it; "" = not given.</summary>
    private static bool? Bool(string text) => text switch
    {
        "" => null,
        "1" or "t" or "T" or "true" or "TRUE" or "True" => true,
        "0" or "f" or "F" or "false" or "FALSE" or "False" => false,
        _ => throw ApiError.BadRequest($"strconv.ParseBool: parsing \"{text}\": invalid syntax"),
    };

    /// <summary>kube's SetListOptionsDefaults with WatchList enabled (1.32's default).</summary>
    private ListOptions WithWatchDefaults() =>
        SendInitialEvents is null && Match.Length == 0 && ResourceVersion is "" or "0"
            ? this with { SendInitialEvents = true, Match = NotOlderThan }
            : this;

    /// <summary>kube's ValidateListOptions for a list.</summary>
    private List<FieldCause> ListErrors()
    {
        var errors = new List<FieldCause>();
        if (Match.Length > 0)
        {
            if (ResourceVersion.Length == 0) errors.Add(Forbidden("resourceVersionMatch",
                "resourceVersionMatch is forbidden unless resourceVersion is provided"));
            if (Continue.Length > 0) errors.Add(Forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"));
            if (Match is not (Exact or NotOlderThan)) errors.Add(NotSupported("resourceVersionMatch", Match, [Exact, NotOlderThan, ""]));
            if (Match == Exact && ResourceVersion == "0") errors.Add(Forbidden("resourceVersionMatch",
                "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""));
        }
        if (SendInitialEvents is not null) errors.Add(Forbidden("sendInitialEvents", "sendInitialEvents is forbidden for list"));
        return errors;
    }

    /// <summary>kube's validateWatchOptions with WatchList enabled.</summary>
    private List<FieldCause> WatchErrors()
    {
        var errors = new List<FieldCause>();
        if (SendInitialEvents is not null && Match != NotOlderThan)
        {
            errors.Add(Forbidden("resourceVersionMatch", $"sendInitialEvents requires setting resourceVersionMatch to {NotOlderThan}"));
        }
        if (Match.Length > 0)
        {
            if (SendInitialEvents is null) errors.Add(Forbidden("resourceVersionMatch",
                "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"));
            if (Match != NotOlderThan) errors.Add(NotSupported("resourceVersionMatch", Match, [NotOlderThan]));
            if (Continue.Length > 0) errors.Add(Forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"));
        }
        return errors;
    }

    /// <summary>Whether a list goes to the store rather than the watch cache (kube 1.32's shouldDelegateList, with consistent
    /// reads from the store): no resourceVersion, a continue token, an Exact match, or a limit with an exact legacy rv.</summary>
    public bool ListFromStore =>
        ResourceVersion.Length == 0 || Continue.Length > 0 || (Match.Length > 0 && Match != NotOlderThan)
        || (Limit > 0 && Match.Length == 0 && ResourceVersion != "0");
}
