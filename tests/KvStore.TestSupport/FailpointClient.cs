namespace KvStore.TestSupport;

/// <summary>Arms the failpoints of a kvstore member started with KVSTORE_FAILPOINTS=1 (PUT /debug/failpoints/NAME on its client URL).</summary>
public static class FailpointClient
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>
    /// Arms <paramref name="name"/> with <paramref name="term"/> ("off" disarms) on the member at <paramref name="clientUrl"/>
    /// (<paramref name="member"/> names it in the error). Throws when the member refuses; a member armed with "panic" may
    /// die before it answers, and then this returns without an answer.
    /// </summary>
    public static async Task SetAsync(string clientUrl, string member, string name, string term)
    {
        using var content = new StringContent(term);
        HttpResponseMessage response;
        try
        {
            response = await Http.PutAsync($"{clientUrl}/debug/failpoints/{name}", content).ConfigureAwait(false);
        }
        catch (HttpRequestException) when (term == "panic")
        {
            return;
        }
        using var answered = response;
        if (!response.IsSuccessStatusCode)
        {
            string reason = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"{member}: failpoint {name}={term}: {(int)response.StatusCode} {reason}");
        }
    }
}
