"""Where preupload-guard meets the tools around it: twine and build."""
