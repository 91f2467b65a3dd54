package org.sdmodel;

/** The container formats sdmodel reads. */
public enum ModelFormat {
    /** {@code torch.save} since torch 1.6: a zip archive holding {@code data.pkl} and one record per storage. */
    TORCH_ZIP,
    /** {@code torch.save(..., _use_new_zipfile_serialization=False)} and torch before 1.6: pickles followed by raw storages. */
    TORCH_LEGACY,
    /** The safetensors format: an 8-byte header length, a JSON header, then the tensor bytes. */
    SAFETENSORS
}
