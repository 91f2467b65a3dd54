/**
 * sdmodel core: reads PyTorch checkpoints and safetensors files without running any code from
 * them, and writes pruned, converted, merged and extracted models; scans, inspects, hashes, and
 * installs models into the AUTOMATIC1111 web UI.
 *
 * <p>Start with {@link org.sdmodel.ModelFile#open(java.nio.file.Path)} to read a file; a planner
 * ({@link org.sdmodel.prune.PrunePlan}, {@link org.sdmodel.merge.MergePlanner},
 * {@link org.sdmodel.component.ComponentPlanner}) and {@link org.sdmodel.engine.ModelWriter} to
 * write one:
 *
 * <pre>{@code
 * try (ModelFile model = ModelFile.open(Path.of("model.ckpt"))) {
 *     PrunePlan plan = PrunePlan.of(model, PruneOptions.defaults());
 *     ModelWriter.write(plan.tensors(plan.metadata(model, true)), Path.of("model.safetensors"),
 *             WriteOptions.defaults());
 * }
 * }</pre>
 *
 * <p>The exported packages are the API; the others (the pickle machine, the torch zip and legacy
 * readers, shared internals) may change in any release. Jackson and zstd-jni are used inside
 * only: no type of theirs appears in the API.
 */
module org.sdmodel.core {
    requires com.fasterxml.jackson.core;
    requires com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.dataformat.yaml;   // the web UI's inference configs (YAML)
    requires com.github.luben.zstd_jni;
    requires java.net.http;                           // downloads (install-v2)

    exports org.sdmodel;
    exports org.sdmodel.component;
    exports org.sdmodel.convert;
    exports org.sdmodel.download;
    exports org.sdmodel.engine;
    exports org.sdmodel.hash;
    exports org.sdmodel.inspect;
    exports org.sdmodel.io;
    exports org.sdmodel.merge;
    exports org.sdmodel.pickle;
    exports org.sdmodel.prune;
    exports org.sdmodel.safetensors;
    exports org.sdmodel.scan;
    exports org.sdmodel.webui;
    exports org.sdmodel.zstd;
    // Not exported: org.sdmodel.torch (zip directory and legacy format readers, reached through
    // ModelFile), org.sdmodel.pickle.internal (the pickle machine and import scanner),
    // org.sdmodel.io.internal (tensors read from a region of a file).
}
