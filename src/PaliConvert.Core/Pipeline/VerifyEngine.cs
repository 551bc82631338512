namespace PaliConvert.Pipeline;

/// <summary>How verify runs the target: the reference forward pass, or ONNX Runtime on an export of it.</summary>
public enum VerifyEngine { Reference, Onnx }
