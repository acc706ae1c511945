namespace KvStore.ApiServer.Security;

/// <summary>A facade setting that cannot be served (a missing file, a bad certificate), with kube-apiserver's message;
/// thrown before anything listens.</summary>
public sealed class ApiServerConfigException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>Go's error for a file that could not be read: "open PATH: no such file or directory".</summary>
    public static string OpenError(string path, Exception e) => e switch
    {
        _ when Directory.Exists(path) => $"read {path}: is a directory",
        FileNotFoundException or DirectoryNotFoundException => $"open {path}: no such file or directory",
        UnauthorizedAccessException => $"open {path}: permission denied",
        _ => $"open {path}: {e.Message}",
    };

    /// <summary>Reads a whole file, or throws with Go's message for it.</summary>
    public static byte[] ReadFile(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ApiServerConfigException(OpenError(path, e), e);
        }
    }
}
