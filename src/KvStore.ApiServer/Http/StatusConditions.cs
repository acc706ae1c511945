using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Http;

/// <summary>
/// kube's condition setters (SetCRDCondition, the namespace controller's updateConditions): status.conditions holds one
/// condition per type, a new type is appended, and a condition's lastTransitionTime changes only when its status does.
/// </summary>
internal static class StatusConditions
{
    /// <summary>Sets the condition of <paramref name="type"/> on <paramref name="obj"/>; false when it already was so.</summary>
    public static bool Set(JsonObject obj, string type, string status, string reason, string message, DateTimeOffset now)
    {
        if (obj["status"] is not JsonObject objectStatus) obj["status"] = objectStatus = [];
        if (objectStatus["conditions"] is not JsonArray conditions) objectStatus["conditions"] = conditions = [];
        var old = conditions.OfType<JsonObject>().FirstOrDefault(c => ObjectDefaults.Str(c["type"]) == type);
        if (old is null)
        {
            conditions.Add(new JsonObject
            {
                ["type"] = type, ["status"] = status, ["lastTransitionTime"] = ObjectDefaults.Now(now), ["reason"] = reason, ["message"] = message,
            });
            return true;
        }
        if (ObjectDefaults.Str(old["status"]) == status && ObjectDefaults.Str(old["reason"]) == reason
            && ObjectDefaults.Str(old["message"]) == message)
            return false;
        if (ObjectDefaults.Str(old["status"]) != status) old["lastTransitionTime"] = ObjectDefaults.Now(now);
        old["status"] = status;
        old["reason"] = reason;
        old["message"] = message;
        return true;
    }
}
