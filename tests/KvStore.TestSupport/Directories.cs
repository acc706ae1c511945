namespace KvStore.TestSupport;

/// <summary>Whole folders, as tests copy data directories to build a crash state or reuse a member's data.</summary>
public static class Directories
{
    /// <summary>Copies every folder and file under <paramref name="from"/> to <paramref name="to"/> (created if missing).</summary>
    public static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(dir.Replace(from, to, StringComparison.Ordinal));
        }
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, file.Replace(from, to, StringComparison.Ordinal));
        }
    }
}
