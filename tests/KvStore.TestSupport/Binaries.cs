namespace KvStore.TestSupport;

/// <summary>Where the programs the tests start are.</summary>
public static class Binaries
{
    /// <summary>The dotnet muxer: DOTNET_HOST_PATH, set by the SDK for the processes it starts (dotnet test); else the one on PATH.</summary>
    public static string DotnetHost()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return !string.IsNullOrEmpty(host) && File.Exists(host) ? host : "dotnet";
    }

    /// <summary>The kvstore executable built next to the tests (a project reference to src/KvStore.Host puts it there).</summary>
    public static string KvStoreDll => Path.Combine(AppContext.BaseDirectory, "kvstore.dll");
}
