// Empty on purpose: the workbook_submission_pch* targets compile it so that CMake builds the
// precompiled headers every submission reuses (see Submission.cmake).
