module org.sdmodel.core {
    requires com.fasterxml.jackson.core;
    requires com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.dataformat.yaml;
    requires com.github.luben.zstd_jni;
    requires java.net.http;

    exports org.sdmodel;
    exports org.sdmodel.convert;
    exports org.sdmodel.download;
    exports org.sdmodel.hash;
    exports org.sdmodel.inspect;
    exports org.sdmodel.io;
    exports org.sdmodel.pickle;
    exports org.sdmodel.prune;
    exports org.sdmodel.safetensors;
    exports org.sdmodel.scan;
    exports org.sdmodel.webui;
    exports org.sdmodel.zstd;
}
