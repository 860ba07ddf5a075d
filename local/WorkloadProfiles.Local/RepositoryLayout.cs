namespace WorkloadProfiles.Local;

/// <summary>Finds the repository the run belongs to (scripts, recordings, <c>.local/</c>), from the working directory or the binary.</summary>
internal static class RepositoryLayout
{
    const string Marker = "WorkloadProfiles.sln";

    public static string Root { get; } = Find();

    static string Find()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, Marker))) return dir.FullName;
            }
        }

        throw new Hosting.PrerequisiteException($"wp-local must run inside the WorkloadProfiles repository (no {Marker} above {Environment.CurrentDirectory}).");
    }
}
