namespace PaliConvert.Export;

/// <summary>Single: model.onnx with the whole model. Split: the three graphs web runtimes chain, with a key/value cache.</summary>
public enum OnnxLayoutKind { Single, Split }
