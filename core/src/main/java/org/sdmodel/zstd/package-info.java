/**
 * zstd-compressed model files: {@link org.sdmodel.zstd.ZstdModelFile} reads {@code X.ckpt.zst},
 * {@code X.safetensors.zst} and the like through a decompressed temporary copy (what
 * {@link org.sdmodel.ModelFile#open} does on seeing the zstd magic number),
 * {@link org.sdmodel.zstd.ZstdFiles} compresses and decompresses files in a stream with a SHA-256
 * of the uncompressed data, {@link org.sdmodel.zstd.ZstdFrameHeader} parses what a frame declares
 * before anything is trusted.
 */
package org.sdmodel.zstd;
