/**
 * Reading model files: {@link org.sdmodel.ModelFile} opens a PyTorch checkpoint or a safetensors
 * file (zstd-compressed or not), {@link org.sdmodel.StateDict} finds its weights,
 * {@link org.sdmodel.Tensor} reads their bytes; {@link org.sdmodel.ReadOptions} holds the limits
 * against hostile files, and the exceptions are {@link java.io.IOException}s.
 */
package org.sdmodel;
