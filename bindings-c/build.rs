//! Gives libenjo.so a SONAME, so that a program linked against it loads only an ABI-compatible
//! libenjo: `libenjo.so.<major>` from 1.0, and `libenjo.so.0.<minor>` before (every 0.x minor
//! may change the C ABI, as `cmake/enjoConfigVersion.cmake.in` says too).
//!
//! A program linked with `-lenjo` records that SONAME and looks for that file at run time, but
//! cargo only writes `libenjo.so`. So the build itself also creates the link
//! `<target>/<profile>/libenjo.so.<soversion> -> libenjo.so` next to it: what a bare
//! `cargo build --release -p enjo-c` leaves in `target/release` runs. The Makefile installs the
//! same links (and `libenjo.so.<version>`) under a prefix.

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".to_owned());
    let minor = std::env::var("CARGO_PKG_VERSION_MINOR").unwrap_or_else(|_| "0".to_owned());
    let soversion = if major == "0" {
        format!("0.{minor}")
    } else {
        major
    };
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }
    let soname = format!("libenjo.so.{soversion}");
    println!("cargo::rustc-cdylib-link-arg=-Wl,-soname,{soname}");
    if let Some(dir) = artifact_dir() {
        link_soname(&dir, &soname);
    }
}

/// The directory cargo writes the library to: OUT_DIR is `<that dir>/build/enjo-c-<hash>/out`.
/// None when the layout is not that one (a custom `build-dir`): then the Makefile's link is
/// the route, as bindings-c/README.md says.
fn artifact_dir() -> Option<PathBuf> {
    let out = PathBuf::from(std::env::var_os("OUT_DIR")?);
    let build = out.parent()?.parent()?;
    if build.file_name()? != "build" {
        return None;
    }
    build.parent().map(Path::to_path_buf)
}

/// `dir/<soname> -> libenjo.so` (relative, so the directory can move). Dangling until cargo
/// links the library right after this script; an existing correct link is left alone. Never
/// fails the build: a read-only or unusual target dir only loses the convenience.
fn link_soname(dir: &Path, soname: &str) {
    let link = dir.join(soname);
    if std::fs::read_link(&link).is_ok_and(|to| to == Path::new("libenjo.so")) {
        return;
    }
    let _ = std::fs::remove_file(&link);
    #[cfg(unix)]
    if let Err(err) = std::os::unix::fs::symlink("libenjo.so", &link) {
        println!(
            "cargo::warning=cannot create {} -> libenjo.so ({err}); create it yourself or use `make -C bindings-c`",
            link.display()
        );
    }
}
