# Builds submissions (directories laid out like exercises/) against the grader's suites.
#
# workbook_read_manifest() reads workbook.json, the one list of exercises. For each exercise it
# compiles the suite once, as an OBJECT library grader_suite_<name>, against the exercise's header
# in exercises/<dir>/. workbook_add_submission(<label> <dir>) then builds, for every exercise whose
# files are all present in <dir>/<exercise dir>/, the learner's sources into a static library and
# links it with the suite into grade_<name>_<label> (in <build>/grader/bin), and writes
# <build>/grader/bin/<label>.json for the runner. The learner, the reference solutions and every
# mutant go through this same function.

# Reads workbook.json into WORKBOOK_EXERCISES (names) and WORKBOOK_EXERCISE_<name>_<FIELD>.
function(workbook_read_manifest manifest)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${manifest})
  file(READ ${manifest} json)
  string(JSON count LENGTH "${json}" exercises)
  set(names "")
  math(EXPR last "${count} - 1")
  foreach(i RANGE ${last})
    string(JSON name GET "${json}" exercises ${i} name)
    list(APPEND names ${name})
    foreach(field dir header suite)
      string(JSON value GET "${json}" exercises ${i} ${field})
      string(TOUPPER ${field} upper)
      set(WORKBOOK_EXERCISE_${name}_${upper} ${value} PARENT_SCOPE)
    endforeach()
    foreach(field files libraries)
      set(values "")
      string(JSON n LENGTH "${json}" exercises ${i} ${field})
      if(n GREATER 0)
        math(EXPR n_last "${n} - 1")
        foreach(j RANGE ${n_last})
          string(JSON value GET "${json}" exercises ${i} ${field} ${j})
          list(APPEND values ${value})
        endforeach()
      endif()
      string(TOUPPER ${field} upper)
      set(WORKBOOK_EXERCISE_${name}_${upper} ${values} PARENT_SCOPE)
    endforeach()
  endforeach()
  set(WORKBOOK_EXERCISES ${names} PARENT_SCOPE)
endfunction()

# The CMake target of an exercise's "libraries" entry in workbook.json: "httplib" stands for
# httplib::httplib; a name with "::" (cf::asio) is a target already.
function(workbook_library_target dependency out)
  if(dependency MATCHES "::")
    set(${out} ${dependency} PARENT_SCOPE)
  else()
    set(${out} ${dependency}::${dependency} PARENT_SCOPE)
  endif()
endfunction()

# The precompiled headers every submission reuses, built once: <cf/cf.hpp>, plus <httplib.h> for
# exercises that use httplib and <cf/asio.hpp> for those that use cf::asio.
# workbook_submission_pch[_<library>] matches an exercise's "libraries" in workbook.json. They save
# about a second per edit of a learner's file.
function(workbook_add_submission_pchs)
  add_library(workbook_submission_pch OBJECT ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/submission_pch.cpp)
  target_link_libraries(workbook_submission_pch PRIVATE cf::cf workbook_warnings)
  target_precompile_headers(workbook_submission_pch PRIVATE <cf/cf.hpp>)
  add_library(workbook_submission_pch_httplib OBJECT ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/submission_pch.cpp)
  target_link_libraries(workbook_submission_pch_httplib PRIVATE cf::cf httplib::httplib workbook_warnings)
  target_precompile_headers(workbook_submission_pch_httplib PRIVATE <httplib.h> <cf/cf.hpp>)
  add_library(workbook_submission_pch_cf_asio OBJECT ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/submission_pch.cpp)
  target_link_libraries(workbook_submission_pch_cf_asio PRIVATE cf::asio workbook_warnings)
  target_precompile_headers(workbook_submission_pch_cf_asio PRIVATE <cf/asio.hpp> <cf/cf.hpp>)
endfunction()

# grader_suite_<name>: the exercise's suite, compiled once and linked into every grade binary.
# Its catalogue, <build>/grader/bin/catalog/<name>.json (every test with its points, step and
# concept), is listed at build time by the suite linked with no exercise code at all (the calls
# into it are left unresolved: listing never makes them). The runner takes the tests and their
# points from there only, never from a binary that holds a student's code.
function(workbook_add_suites)
  foreach(name IN LISTS WORKBOOK_EXERCISES)
    set(target grader_suite_${name})
    add_library(${target} OBJECT ${PROJECT_SOURCE_DIR}/${WORKBOOK_EXERCISE_${name}_SUITE})
    target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/exercises/${WORKBOOK_EXERCISE_${name}_DIR})
    target_link_libraries(${target} PUBLIC workbook::grader_support workbook::mock_server cf::cf
                                      PRIVATE workbook_warnings)
    # A suite may use what its exercise's interface needs (an awaitable from cf::asio, say).
    foreach(dependency IN LISTS WORKBOOK_EXERCISE_${name}_LIBRARIES)
      if(dependency MATCHES "::")
        target_link_libraries(${target} PUBLIC ${dependency})
      endif()
    endforeach()
    target_precompile_headers(${target} REUSE_FROM workbook_grader_support)

    set(lister grader_catalog_${name})
    add_executable(${lister} EXCLUDE_FROM_ALL)
    target_link_libraries(${lister} PRIVATE ${target})
    target_link_options(${lister} PRIVATE -Wl,--unresolved-symbols=ignore-all)
    set(catalog ${WORKBOOK_GRADE_BINARY_DIR}/catalog/${name}.json)
    add_custom_command(OUTPUT ${catalog}
                       COMMAND ${CMAKE_COMMAND} -E make_directory ${WORKBOOK_GRADE_BINARY_DIR}/catalog
                       COMMAND ${lister} --workbook_catalog=${catalog}
                       DEPENDS ${lister} COMMENT "Listing the tests of ${name}")
    add_custom_target(grader_catalog_${name}_json ALL DEPENDS ${catalog})
  endforeach()
endfunction()

# workbook_add_submission(<label> <dir> [FALLBACK <dir>] [EXCLUDE_FROM_ALL]): grade_<name>_<label>
# for each exercise found in <dir>. A file missing from an exercise's folder is taken from the
# FALLBACK directory (a mutant holds only the file it breaks). EXCLUDE_FROM_ALL keeps the targets
# out of the default build. Sets WORKBOOK_SUBMISSION_TARGETS in the caller to the grade binaries.
function(workbook_add_submission label dir)
  cmake_parse_arguments(PARSE_ARGV 2 arg "EXCLUDE_FROM_ALL" "FALLBACK" "")
  set(exclude "")
  if(arg_EXCLUDE_FROM_ALL)
    set(exclude EXCLUDE_FROM_ALL)
  endif()
  set(created "")
  set(graded "")
  foreach(name IN LISTS WORKBOOK_EXERCISES)
    set(exercise_dir ${dir}/${WORKBOOK_EXERCISE_${name}_DIR})
    if(NOT IS_DIRECTORY ${exercise_dir})
      continue()
    endif()
    set(sources "")
    set(complete TRUE)
    foreach(file IN LISTS WORKBOOK_EXERCISE_${name}_FILES)
      if(EXISTS ${exercise_dir}/${file})
        list(APPEND sources ${exercise_dir}/${file})
      elseif(arg_FALLBACK AND EXISTS ${arg_FALLBACK}/${WORKBOOK_EXERCISE_${name}_DIR}/${file})
        list(APPEND sources ${arg_FALLBACK}/${WORKBOOK_EXERCISE_${name}_DIR}/${file})
      else()
        set(complete FALSE)
      endif()
    endforeach()
    if(NOT complete)
      continue()
    endif()

    # The learner's code: compiled against the original header in exercises/<dir>/.
    set(library submission_${name}_${label})
    add_library(${library} STATIC ${exclude} ${sources})
    target_include_directories(${library} PUBLIC ${PROJECT_SOURCE_DIR}/exercises/${WORKBOOK_EXERCISE_${name}_DIR})
    target_link_libraries(${library} PUBLIC cf::cf PRIVATE workbook_warnings)
    set(pch workbook_submission_pch)
    foreach(dependency IN LISTS WORKBOOK_EXERCISE_${name}_LIBRARIES)
      workbook_library_target(${dependency} dependency_target)
      target_link_libraries(${library} PUBLIC ${dependency_target})
      # A library with headers of its own has a PCH with them; cf::process needs none (cf.hpp has it).
      string(MAKE_C_IDENTIFIER ${dependency} suffix)
      if(TARGET ${pch}_${suffix})
        string(APPEND pch _${suffix})
      endif()
    endforeach()
    target_precompile_headers(${library} REUSE_FROM ${pch})
    set(header ${exercise_dir}/${WORKBOOK_EXERCISE_${name}_HEADER})
    set(original ${PROJECT_SOURCE_DIR}/exercises/${WORKBOOK_EXERCISE_${name}_DIR}/${WORKBOOK_EXERCISE_${name}_HEADER})
    if(EXISTS ${header} AND NOT header STREQUAL original)
      file(SHA256 ${header} submitted_hash)
      file(SHA256 ${original} original_hash)
      if(NOT submitted_hash STREQUAL original_hash)
        message(WARNING "${header} differs from ${original}; the grader tests the original interface.")
      endif()
    endif()

    set(binary grade_${name}_${label})
    add_executable(${binary} ${exclude})
    target_link_libraries(${binary} PRIVATE grader_suite_${name} ${library})
    set_target_properties(${binary} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${WORKBOOK_GRADE_BINARY_DIR})
    list(APPEND created ${binary})
    list(APPEND graded ${name})
  endforeach()

  # The runner's index of this submission: where it is and which exercises it can grade.
  set(exercises_json "[]")
  foreach(name IN LISTS graded)
    string(JSON exercises_json SET "${exercises_json}" 999999 "\"${name}\"")
  endforeach()
  set(index "{}")
  string(JSON index SET "${index}" dir "\"${dir}\"")
  string(JSON index SET "${index}" exercises "${exercises_json}")
  file(WRITE ${WORKBOOK_GRADE_BINARY_DIR}/${label}.json "${index}\n")
  set(WORKBOOK_SUBMISSION_TARGETS ${created} PARENT_SCOPE)
endfunction()
