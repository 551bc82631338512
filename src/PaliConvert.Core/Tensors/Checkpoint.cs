namespace PaliConvert.Tensors;

/// <summary>An opened checkpoint: named tensors over memory-mapped files. Disposing unmaps them.</summary>
public abstract class Checkpoint : IDisposable
{
    private readonly Dictionary<string, TensorInfo> _byName = new(StringComparer.Ordinal);
    private readonly List<TensorInfo> _tensors = new();
    private readonly List<IDisposable> _owned = new();

    public string Path { get; }
    public abstract string Format { get; }
    public IReadOnlyList<TensorInfo> Tensors => _tensors;
    /// <summary>The folder the checkpoint is (where its config.json would be), or null for a single file.</summary>
    public virtual string? Folder => null;

    protected Checkpoint(string path) { Path = path; }

    /// <summary>Runs the reader's loading; on failure the maps opened so far are released before the error goes up.</summary>
    protected static T Opened<T>(T checkpoint, Action<T> load) where T : Checkpoint
    {
        try
        {
            load(checkpoint);
            return checkpoint;
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    protected T Own<T>(T resource) where T : IDisposable { _owned.Add(resource); return resource; }

    protected void Add(TensorInfo t, string where)
    {
        if (!_byName.TryAdd(t.Name, t)) throw new BadInputException(where, $"{where}: tensor '{t.Name}' appears twice");
        _tensors.Add(t);
    }

    public TensorInfo? Find(string name) => _byName.GetValueOrDefault(name);

    public TensorInfo Get(string name) =>
        Find(name) ?? throw new BadInputException(Path, $"{Path}: no tensor named '{name}'", name);

    public IEnumerable<DType> DTypes => _tensors.Select(t => t.DType).Distinct().OrderBy(d => d);

    public void Dispose()
    {
        foreach (var o in Enumerable.Reverse(_owned)) o.Dispose();
        _owned.Clear();
        GC.SuppressFinalize(this);
    }
}
