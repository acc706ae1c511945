namespace KvStore.Differential.Tests.Fuzz;

/// <summary>
/// The fuzz runs' bounds: the short form (CI) by default; KVSTORE_FUZZ_LONG=1 for the long form (documented in the
/// README); KVSTORE_FUZZ_SEED=N replays one seed; KVSTORE_FUZZ_ITERATIONS=N overrides the count.
/// </summary>
internal static class FuzzSettings
{
    public static bool Long => Environment.GetEnvironmentVariable("KVSTORE_FUZZ_LONG") == "1";

    /// <summary>The seeds to run: the given one, else <paramref name="ci"/> (short form) or eight more (long form).</summary>
    public static int[] Seeds(params int[] ci)
    {
        string? seed = Environment.GetEnvironmentVariable("KVSTORE_FUZZ_SEED");
        if (seed is not null) return [int.Parse(seed, System.Globalization.CultureInfo.InvariantCulture)];
        return Long ? [.. ci, .. Enumerable.Range(1001, 8)] : ci;
    }

    /// <summary>Inputs per seed: <paramref name="shortForm"/>, or <paramref name="longForm"/> with KVSTORE_FUZZ_LONG=1.</summary>
    public static int Iterations(int shortForm, int longForm)
    {
        string? n = Environment.GetEnvironmentVariable("KVSTORE_FUZZ_ITERATIONS");
        if (n is not null) return int.Parse(n, System.Globalization.CultureInfo.InvariantCulture);
        return Long ? longForm : shortForm;
    }
}
