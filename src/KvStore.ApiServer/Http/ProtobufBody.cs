using System.Text.Json.Nodes;
using KvStore.ApiServer.Wire;

namespace KvStore.ApiServer.Http;

/// <summary>
/// A protobuf request body (`application/vnd.kubernetes.protobuf`, what client-go and kubectl's typed clients send)
/// as the JSON the handlers work on; anything unreadable is a 400 BadRequest with the decoder's words.
/// </summary>
internal static class ProtobufBody
{
    public static JsonObject Decode(byte[] body)
    {
        try
        {
            return KubeProtobuf.Decode(body);
        }
        catch (KubeProtobufException e)
        {
            throw ApiError.BadRequest(e.Message);
        }
    }
}
